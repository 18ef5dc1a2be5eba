"""Property: for random multi-level BOMs and random edits, applying each plan makes the target equal
the mapped source, and the plan after that is empty."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.records import BomLine, Part
from tests.sync.helpers import default_spec, mapped, sync_once

SPEC = default_spec()
UNITS = ["EA", "mm", "m", "g", "kg", "L", "ml"]
N_PARTS = 8


def _records(uoms: dict[str, str], lines: dict[tuple[int, int], tuple[int, str]]) -> tuple[list[Part], list[BomLine]]:
    names = sorted(uoms)
    parents = {p for p, _ in lines}
    parts = [
        Part(n, f"Item {n}", "A", uoms[n], "Assembly" if i in parents else "Machined Part") for i, n in enumerate(names)
    ]
    bom = [
        BomLine(names[p], "A", find, names[c], "A", Decimal(q), uoms[names[c]])
        for (p, find), (c, q) in sorted(lines.items())
    ]
    return parts, bom


@st.composite
def edit(draw: st.DrawFn, lines: dict, uoms: dict) -> None:
    """Apply one random edit in place; parents always have a lower index than children (no cycles)."""
    kind = draw(st.sampled_from(["add", "remove", "requantify", "reparent", "reunit", "renumber"]))
    keys = sorted(lines)
    qty = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(500), places=1).map(str)
    if kind == "add" or not keys:
        parent = draw(st.integers(0, N_PARTS - 2))
        child = draw(st.integers(parent + 1, N_PARTS - 1))
        lines[(parent, draw(st.integers(1, 30)) * 10)] = (child, draw(qty))
        return
    key = draw(st.sampled_from(keys))
    child, q = lines[key]
    if kind == "remove":
        del lines[key]
    elif kind == "requantify":
        lines[key] = (child, draw(qty))
    elif kind == "reparent":
        del lines[key]
        lines[(draw(st.integers(0, child - 1)), key[1])] = (child, q)
    elif kind == "reunit":
        uoms[f"P{child}"] = draw(st.sampled_from(UNITS))
    else:
        new = (key[0], draw(st.integers(1, 30)) * 10 + 5)
        if new not in lines:
            lines[new] = lines.pop(key)


def _nonempty(tables: dict) -> dict:
    return {entity: rows for entity, rows in tables.items() if rows}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), use_snapshot=st.booleans())
def test_applying_each_plan_converges_and_then_plans_nothing(data, use_snapshot):
    uoms = {f"P{i}": data.draw(st.sampled_from(UNITS)) for i in range(N_PARTS)}
    lines: dict[tuple[int, int], tuple[int, str]] = {}
    for _ in range(data.draw(st.integers(1, 10))):
        data.draw(edit(lines, uoms))
    target: dict = {}
    stored: dict = {}
    for _round in range(data.draw(st.integers(1, 4))):
        parts, bom = _records(uoms, lines)
        _, stored = sync_once(SPEC, parts, bom, target, stored, use_snapshot)
        assert _nonempty(target) == _nonempty(mapped(SPEC, parts, bom))
        again, _ = sync_once(SPEC, parts, bom, target, stored, use_snapshot)
        assert again.is_noop, again.to_table_text()
        for _ in range(data.draw(st.integers(1, 4))):
            data.draw(edit(lines, uoms))
