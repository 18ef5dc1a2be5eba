"""PLM data that cannot become Tryton records is refused before anything is read or written."""

from decimal import Decimal

import pytest

from resources.erp.tryton.flow import TrytonMappingError, plan_bom_sync
from sync.records import BomLine, Part


def _part(number: str, uom: str = "EA") -> Part:
    return Part(number, f"part {number}", "A", uom, "Machined Part", "MAKE")


def _line(find: int, component: str, uom: str = "EA") -> BomLine:
    return BomLine("ASM-1", "A", find, component, "A", Decimal(1), uom)


def test_a_component_twice_under_one_parent_is_refused_naming_both(tryton_spec):
    parts = [_part("ASM-1"), _part("PRT-1")]

    with pytest.raises(TrytonMappingError) as caught:
        plan_bom_sync(None, tryton_spec, parts, [_line(10, "PRT-1"), _line(20, "PRT-1")])

    [error] = caught.value.errors
    assert error.code == "MAPPING_KEY_DUPLICATE" and "'PRT-1'" in error.message and "'ASM-1'" in error.message


def test_a_unit_tryton_has_no_symbol_for_is_refused_naming_record_and_field(tryton_spec):
    parts = [_part("ASM-1"), _part("PRT-1", uom="furlong")]

    with pytest.raises(TrytonMappingError) as caught:
        plan_bom_sync(None, tryton_spec, parts, [_line(10, "PRT-1", uom="furlong")])

    assert any(
        e.key == "PRT-1" and e.field == "default_uom" and e.code == "MAPPING_UNIT_UNKNOWN" for e in caught.value.errors
    )
