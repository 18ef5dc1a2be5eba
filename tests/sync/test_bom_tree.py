"""BOM trees: cycles, levels, orders, where-used, rolled-up quantities, line identity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.bom_tree import BomCycleError, BomTree, match_lines
from tests.sync.helpers import line

LINES = [
    line("TOP", 10, "SUB", "2"),
    line("TOP", 20, "BOLT", "4"),
    line("SUB", 10, "BOLT", "3"),
    line("SUB", 20, "PLATE", "1"),
    line("PLATE", 10, "STEEL", "0.5"),
]


def test_cycle_is_reported_with_its_loop():
    with pytest.raises(BomCycleError, match="A -> B -> C -> A"):
        BomTree.from_lines([line("A", 10, "B"), line("B", 10, "C"), line("C", 10, "A")])


def test_levels_depth_and_roots():
    tree = BomTree.from_lines(LINES)
    assert tree.roots() == ["TOP"]
    assert tree.levels("TOP") == {"TOP": 0, "SUB": 1, "BOLT": 2, "PLATE": 2, "STEEL": 3}
    assert tree.depth() == 3


def test_bottom_up_puts_every_component_before_its_parents():
    order = BomTree.from_lines(LINES).bottom_up()
    for x in LINES:
        assert order.index(x.component_number) < order.index(x.parent_number)


def test_depth_first_walks_shared_items_at_each_use():
    walk = [(level, e.child) for level, e in BomTree.from_lines(LINES).depth_first("TOP")]
    assert walk == [(1, "SUB"), (2, "BOLT"), (2, "PLATE"), (3, "STEEL"), (1, "BOLT")]


def test_where_used_direct_and_transitive():
    tree = BomTree.from_lines(LINES)
    assert tree.where_used("BOLT") == ["SUB", "TOP"]
    assert tree.where_used("STEEL", transitive=True) == ["PLATE", "SUB", "TOP"]


def test_extended_quantities_multiply_down_every_path():
    totals = BomTree.from_lines(LINES).extended_quantities("TOP")
    assert totals == {"SUB": Decimal(2), "BOLT": Decimal(10), "PLATE": Decimal(2), "STEEL": Decimal(1)}


def test_same_component_at_a_new_find_number_is_a_renumber():
    match = match_lines({10: "BOLT", 20: "NUT", 30: "WASHER"}, {10: "BOLT", 25: "NUT", 40: "PIN"})
    assert match.kept == [10]
    assert match.renumbered == [(20, 25)]
    assert (match.removed, match.added) == ([30], [40])
