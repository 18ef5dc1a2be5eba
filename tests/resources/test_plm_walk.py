"""The released multi-level BOM walk against the sandbox PLM over real HTTP (and its pure assembly step)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from resources.plm.resource import PLMDataError
from resources.plm.walk import FetchedTree, assemble, fetch_tree
from tests.resources.plm_fixtures import demo_catalog, expected_walk, largest_assembly, running_plm

BOM_ROUTE = "GET /v1/items/{guid}/bom"


@pytest.fixture(scope="module")
def catalog():
    return demo_catalog()


@pytest.fixture(scope="module")
def top(catalog):
    return largest_assembly(catalog)


@pytest.fixture(scope="module")
def plm():
    with running_plm() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def walked(plm, top):
    """One walk of the largest demo assembly plus the sandbox's call counts for it."""
    with plm.resource().client() as client:
        plm.reset_stats()
        bom = client.released_bom(top)
    return bom, plm.stats()


def shape(bom) -> list[tuple]:
    return [(ln.parent_number, ln.find_number, ln.component_number, ln.quantity, ln.level, ln.path) for ln in bom.lines]


def test_largest_demo_assembly_has_600_plus_parts_over_10_levels(walked, top):
    bom, _ = walked
    assert bom.assembly.number == top and bom.parts[0] == bom.assembly
    assert len(bom.parts) >= 601
    assert max(line.level for line in bom.lines) == 10


def test_walk_matches_an_independent_walk_of_the_seed_catalog(walked, catalog, top):
    bom, _ = walked
    lines, parts, _ = expected_walk(catalog, top)
    assert shape(bom) == lines
    assert [p.number for p in bom.parts] == parts


def test_parts_are_distinct_and_lines_link_parent_to_child(walked):
    bom, _ = walked
    numbers = [p.number for p in bom.parts]
    assert len(numbers) == len(set(numbers))
    known = set(numbers)
    for line in bom.lines:
        assert line.path[-1] == line.parent_number and len(line.path) == line.level
        assert {line.parent_number, line.component_number} <= known
    assert len({line.key for line in bom.lines}) == len(bom.lines)


def test_records_carry_revisions_units_and_decimal_quantities(walked, catalog):
    bom, _ = walked
    by_number = {p.number: p for p in bom.parts}
    for line in bom.lines[:50]:
        component = catalog.part(line.component_number)
        assert line.uom == component.uom == by_number[line.component_number].uom
        assert line.component_revision == component.revision
        assert line.parent_revision == catalog.part(line.parent_number).revision
        assert isinstance(line.quantity, Decimal) and line.quantity > 0
    part = by_number[bom.lines[0].component_number]
    expected = catalog.part(part.number)
    assert (part.category, part.make_buy, part.attributes) == (
        expected.category,
        expected.make_buy,
        expected.attributes,
    )


def test_each_assembly_bom_is_read_once(walked, catalog, top):
    _, stats = walked
    _, _, assemblies = expected_walk(catalog, top)
    assert stats["calls"][BOM_ROUTE] == len(assemblies)


def test_walk_survives_20_percent_503s_and_counts_the_retries(plm, walked, top):
    baseline, _ = walked
    plm.faults(error_rate=0.2, error_status=503)
    try:
        with plm.resource(max_concurrency=4).client() as client:
            bom = client.released_bom(top)
            metrics = client.metrics.snapshot()
    finally:
        plm.control("DELETE", "faults")
    assert shape(bom) == shape(baseline) and bom.parts == baseline.parts
    assert metrics["retries"] > 0 and metrics["status"].get("503", 0) > 0
    assert metrics["attempts"] > metrics["calls"]


def test_walk_result_does_not_depend_on_concurrency(plm, walked, top):
    baseline, _ = walked
    with plm.resource(max_concurrency=1).client() as client:
        assert client.released_bom(top) == baseline


def test_unreleased_item_is_refused_with_its_number(plm):
    with plm.resource().client() as client:
        unreleased = next(i["number"] for i in client.iter_items(lifecycle_phase="In Design"))
        with pytest.raises(PLMDataError, match=unreleased):
            client.released_bom(unreleased)


# --- the pure steps: loops in the data -------------------------------------------------------------


def _item(number: str, category: str = "Assembly") -> dict:
    return {
        "guid": f"G-{number}",
        "number": number,
        "name": number,
        "revisionNumber": "A",
        "uom": "EA",
        "revisionStatus": "EFFECTIVE",
        "category": {"name": category},
    }


def _line(find: int, child: str) -> dict:
    return {
        "guid": f"L-{child}-{find}",
        "lineNumber": find,
        "quantity": 1,
        "item": {"guid": f"G-{child}", "number": child},
    }


LOOPED = {"TOP": [_line(1, "B")], "B": [_line(1, "C")], "C": [_line(1, "D"), _line(2, "B")], "D": []}


def test_a_bom_loop_is_reported_naming_the_loop():
    tree = FetchedTree("TOP", {n: _item(n) for n in LOOPED}, {n: v for n, v in LOOPED.items() if v})
    with pytest.raises(PLMDataError, match="B -> C -> B") as info:
        assemble(tree)
    assert info.value.code == "BOM_CYCLE"


def test_fetching_a_looped_bom_ends_and_reads_each_bom_once():
    reads: list[str] = []

    def get_bom(guid: str) -> list[dict]:
        reads.append(guid)
        return LOOPED[guid.removeprefix("G-")]

    tree = fetch_tree(
        _item("TOP"), lambda guid: _item(guid.removeprefix("G-")), get_bom, lambda item: True, max_workers=3
    )
    assert sorted(reads) == ["G-B", "G-C", "G-D", "G-TOP"]
    assert set(tree.items) == {"TOP", "B", "C", "D"}
