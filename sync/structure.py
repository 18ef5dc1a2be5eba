"""Structural validation of an extracted BOM, before anything is planned or written.

Each problem names the parent, the line and what is wrong, so a person can fix it in the PLM.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sync.bom_tree import BomCycleError, BomTree
from sync.records import BomLine, Part

KINDS = (
    "cycle",
    "duplicate_find_number",
    "missing_find_number",
    "non_positive_quantity",
    "unknown_unit",
    "unknown_component",
    "too_deep",
)


@dataclass(frozen=True)
class StructureProblem:
    kind: str  # one of KINDS
    parent: str
    find_number: int | None
    component: str
    message: str


def check_bom_structure(
    parts: Iterable[Part], lines: Iterable[BomLine], known_units: Iterable[str], max_depth: int
) -> list[StructureProblem]:
    """All structural problems of one released BOM (an empty list means the BOM can be planned)."""
    parts, lines, units = list(parts), list(lines), set(known_units)
    numbers = {p.number for p in parts}
    problems = _line_problems(lines, numbers, units)
    problems += [
        StructureProblem(
            "unknown_unit", p.number, None, p.number, f"part {p.number} has unit {p.uom!r}, not in the unit table"
        )
        for p in parts
        if p.uom not in units
    ]
    try:
        tree = BomTree.from_lines(lines)
    except BomCycleError as exc:
        loop = exc.cycle
        return [*problems, StructureProblem("cycle", loop[0], None, loop[1], str(exc))]
    for root in tree.roots():
        depth = tree.depth(root)
        if depth > max_depth:
            problems.append(
                StructureProblem(
                    "too_deep", root, None, root, f"{root} is {depth} levels deep, more than the {max_depth} allowed"
                )
            )
    return problems


def _line_problems(lines: list[BomLine], numbers: set[str], units: set[str]) -> list[StructureProblem]:
    problems = []
    seen = Counter((line.parent_number, line.find_number) for line in lines)
    for line in lines:
        where = f"{line.parent_number} line {line.find_number} ({line.component_number})"
        if line.find_number is None or line.find_number <= 0:
            problems.append(
                StructureProblem(
                    "missing_find_number",
                    line.parent_number,
                    line.find_number,
                    line.component_number,
                    f"{where}: find number missing or not positive",
                )
            )
        elif seen[(line.parent_number, line.find_number)] > 1:
            problems.append(
                StructureProblem(
                    "duplicate_find_number",
                    line.parent_number,
                    line.find_number,
                    line.component_number,
                    f"{where}: find number used more than once",
                )
            )
        if line.quantity is None or line.quantity <= 0:
            problems.append(
                StructureProblem(
                    "non_positive_quantity",
                    line.parent_number,
                    line.find_number,
                    line.component_number,
                    f"{where}: quantity {line.quantity} is not > 0",
                )
            )
        if line.uom not in units:
            problems.append(
                StructureProblem(
                    "unknown_unit",
                    line.parent_number,
                    line.find_number,
                    line.component_number,
                    f"{where}: unit {line.uom!r} is not in the unit table",
                )
            )
        if line.component_number not in numbers:
            problems.append(
                StructureProblem(
                    "unknown_component",
                    line.parent_number,
                    line.find_number,
                    line.component_number,
                    f"{where}: component is not a known part",
                )
            )
    return problems
