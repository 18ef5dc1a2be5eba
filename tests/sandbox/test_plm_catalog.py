"""The seed catalog: deterministic per seed, and the demo has the shape the brief promises."""

from __future__ import annotations

from collections import Counter

import pytest

from sandbox.catalog import build_catalog


def _walk(catalog, top):
    children = {}
    for line in catalog.bom_lines:
        children.setdefault(line.parent, []).append(line.component)
    seen, depth, frontier = set(), 0, [top]
    while frontier:
        nxt = [c for p in frontier for c in children.get(p, ()) if c not in seen]
        seen.update(nxt)
        depth += bool(nxt)
        frontier = list(dict.fromkeys(nxt))
    return seen, depth


def test_same_seed_gives_identical_catalog():
    assert build_catalog("demo", 7) == build_catalog("demo", 7)


def test_other_seed_gives_other_catalog():
    assert build_catalog("demo", 7).parts != build_catalog("demo", 8).parts


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_demo_has_three_tops_one_with_600_components_over_10_levels(seed):
    catalog = build_catalog("demo", seed)
    assert len(catalog.top_assemblies) == 3
    components, depth = _walk(catalog, catalog.top_assemblies[0])
    assert len(components) >= 600 and depth == 10


def test_demo_units_make_buy_and_open_change():
    catalog = build_catalog("demo")
    assert {p.uom for p in catalog.parts} == {"EA", "mm", "m", "g", "kg", "L", "ml"}
    assert Counter(p.make_buy for p in catalog.parts).keys() == {"MAKE", "BUY"}
    assert any(c.status == "OPEN" and c.affected for c in catalog.changes)
    assert any(line.quantity != line.quantity.to_integral_value() for line in catalog.bom_lines)


def test_bom_lines_are_unique_per_parent_and_find_number():
    catalog = build_catalog("demo")
    keys = [(b.parent, b.find_number) for b in catalog.bom_lines]
    assert len(keys) == len(set(keys))


def test_purchased_parts_are_buy_parts_sorted_by_number():
    parts = build_catalog("demo").purchased_parts()
    assert all(p.make_buy == "BUY" for p in parts)
    assert [p.number for p in parts] == sorted(p.number for p in parts)


def test_large_profile_scales_with_its_params():
    small = build_catalog("large", assemblies=2, depth=3, breadth=5)
    bigger = build_catalog("large", assemblies=4, depth=3, breadth=5)
    assert len(small.top_assemblies) == 2 and len(bigger.parts) > len(small.parts)
    _, depth = _walk(small, small.top_assemblies[0])
    assert depth == 3


def test_large_profile_refuses_more_than_50000_parts():
    with pytest.raises(ValueError, match="50000"):
        build_catalog("large", assemblies=50, depth=10, breadth=200)


def test_unknown_profile_and_param_are_named_in_the_error():
    with pytest.raises(ValueError, match="'huge'"):
        build_catalog("huge")
    with pytest.raises(ValueError, match="colour"):
        build_catalog("large", colour=3)
