"""The structural check names each problem of a released BOM by parent, line and component."""

from decimal import Decimal

from sync.records import BomLine, Part
from sync.structure import check_bom_structure

UNITS = {"EA", "mm", "kg"}


def part(number, uom="EA"):
    return Part(number, number.lower(), "A", uom, "Assembly" if number.startswith("ASM") else "Fastener")


def line(parent, find, child, qty="1", uom="EA"):
    return BomLine(parent, "A", find, child, "A", Decimal(qty), uom)


def kinds(problems):
    return sorted(p.kind for p in problems)


def test_a_sound_bom_has_no_problems():
    parts = [part("ASM-1"), part("ASM-2"), part("PRT-1", "mm")]
    lines = [line("ASM-1", 10, "ASM-2"), line("ASM-2", 10, "PRT-1", "250", "mm")]
    assert check_bom_structure(parts, lines, UNITS, max_depth=10) == []


def test_each_line_problem_is_reported_with_its_parent_and_line():
    parts = [part("ASM-1"), part("PRT-1")]
    lines = [
        line("ASM-1", 10, "PRT-1"),
        line("ASM-1", 10, "PRT-1", "2"),  # duplicate find number
        line("ASM-1", 20, "PRT-1", "-1"),  # negative quantity
        line("ASM-1", 30, "PRT-1", "1", "furlong"),  # unknown unit
        line("ASM-1", 40, "PRT-9"),  # unknown component
    ]
    problems = check_bom_structure(parts, lines, UNITS, max_depth=10)
    assert kinds(problems) == [
        "duplicate_find_number",
        "duplicate_find_number",
        "non_positive_quantity",
        "unknown_component",
        "unknown_unit",
    ]
    negative = next(p for p in problems if p.kind == "non_positive_quantity")
    assert (negative.parent, negative.find_number, negative.component) == ("ASM-1", 20, "PRT-1")


def test_a_cycle_is_named():
    parts = [part("ASM-1"), part("ASM-2")]
    lines = [line("ASM-1", 10, "ASM-2"), line("ASM-2", 10, "ASM-1")]
    [problem] = check_bom_structure(parts, lines, UNITS, max_depth=10)
    assert problem.kind == "cycle" and "ASM-1 -> ASM-2 -> ASM-1" in problem.message


def test_a_bom_deeper_than_allowed_is_reported():
    chain = [f"ASM-{i}" for i in range(6)]
    parts = [part(n) for n in chain]
    lines = [line(a, 10, b) for a, b in zip(chain, chain[1:], strict=False)]
    [problem] = check_bom_structure(parts, lines, UNITS, max_depth=4)
    assert problem.kind == "too_deep" and problem.parent == "ASM-0"
