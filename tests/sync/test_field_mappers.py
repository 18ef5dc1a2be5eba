"""Compiled field mappers: a memo only for values that repeat, never blurring values a transform tells apart."""

from __future__ import annotations

import operator
from decimal import Decimal
from types import SimpleNamespace

import pytest

from sync.field_mappers import MEMO_PROBE, compile_field
from sync.spec import FieldSpec, UnitConversion, enum_lookup
from sync.transforms import ValueProblem

UNITS = {"mm": UnitConversion("M", Decimal("0.001"))}


def field(type_name: str = "string", unit: str | None = None, required: bool = True) -> FieldSpec:
    return FieldSpec(
        "Out", ("v",), type_name, required, "outbound", "plm", "source_wins",
        unit_source=unit, getters=(operator.attrgetter("v"),),
    )  # fmt: skip


def rec(value: object, uom: str = "mm") -> SimpleNamespace:
    return SimpleNamespace(v=value, uom=uom)


def test_values_that_compare_equal_but_print_differently_are_not_confused():
    mapped = compile_field(UNITS, field(), enum_lookup)
    assert [mapped(rec(v)) for v in (Decimal("1"), Decimal("1.0"), 1, True, "1")] == ["1", "1.0", "1", "True", "1"]


def test_values_without_a_memo_key_are_mapped_one_by_one_with_their_unit():
    mapped = compile_field(UNITS, field("decimal", unit="uom"), enum_lookup)
    assert mapped(rec(0.25)) == "0.00025" and mapped(rec(0.5)) == "0.0005"


def test_a_value_that_fails_fails_every_time_and_is_not_remembered():
    mapped = compile_field(UNITS, field("decimal", unit="uom"), enum_lookup)
    for _ in range(3):
        with pytest.raises(ValueProblem, match="furlong"):
            mapped(rec(Decimal(2), "furlong"))
    assert mapped(rec(Decimal(2))) == "0.002"


def test_a_field_of_distinct_values_drops_its_memo_after_the_probe_and_maps_on_unchanged():
    swapped = []
    mapped = compile_field(UNITS, field(), enum_lookup, swapped.append)
    results = [mapped(rec(f"PRT-{i}")) for i in range(MEMO_PROBE + 10)]
    assert len(swapped) == 1 and swapped[0](rec("PRT-x")) == "PRT-x"
    assert results == [f"PRT-{i}" for i in range(MEMO_PROBE + 10)]
