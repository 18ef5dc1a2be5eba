"""The multi-level released BOM walk: fetch concurrently, then assemble deterministically.

Fetching (`fetch_tree`) runs item and BOM requests on a thread pool as they become known: each
distinct item is read once and each assembly's BOM is read once, however often it is used, so a cycle
cannot make it loop. Assembling (`assemble`) then walks the fetched data depth-first from the top in
find-number order, so the result never depends on thread timing; a loop in the data raises
`PLMDataError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from resources.plm.records import PLMDataError, bom_line_from_arena, part_from_item
from sync.records import BomLine, Part

Item = dict[str, Any]


@dataclass(frozen=True)
class ReleasedBom:
    """One top-level assembly's whole released BOM: `parts[0]` is the assembly, then each component
    once in depth-first order; `lines` in depth-first order, a shared subassembly's lines once."""

    assembly: Part
    parts: list[Part] = field(default_factory=list)
    lines: list[BomLine] = field(default_factory=list)


@dataclass
class FetchedTree:
    """Raw Arena data for one walk: item details and single-level BOMs, both keyed by item number."""

    top: str
    items: dict[str, Item]
    boms: dict[str, list[Item]]


def _component_ref(line: Mapping[str, Any], parent: str) -> Mapping[str, Any]:
    ref = line.get("item")
    if not isinstance(ref, Mapping) or not ref.get("number") or not ref.get("guid"):
        raise PLMDataError(f"BOM line {line.get('lineNumber')!r} of {parent}: item reference needs guid and number")
    return ref


def fetch_tree(
    top: Item,
    get_item: Callable[[str], Item],
    get_bom: Callable[[str], list[Item]],
    has_bom: Callable[[Item], bool],
    max_workers: int,
) -> FetchedTree:
    """Read every item and every assembly BOM below `top` (an item detail), `max_workers` at a time."""
    tree = FetchedTree(top=str(top["number"]), items={str(top["number"]): top}, boms={})
    requested = {tree.top}
    pending: dict[Future, tuple[str, str]] = {}
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="plm-walk") as pool:

        def explore(item: Item) -> None:
            if has_bom(item):
                pending[pool.submit(get_bom, str(item["guid"]))] = ("bom", str(item["number"]))

        try:
            explore(top)
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    kind, number = pending.pop(future)
                    result = future.result()
                    if kind == "item":
                        tree.items[number] = result
                        explore(result)
                        continue
                    tree.boms[number] = result
                    for line in result:
                        ref = _component_ref(line, number)
                        if ref["number"] not in requested:
                            requested.add(ref["number"])
                            pending[pool.submit(get_item, str(ref["guid"]))] = ("item", str(ref["number"]))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return tree


def _ordered(lines: list[Item]) -> list[Item]:
    return sorted(lines, key=lambda line: (line.get("lineNumber") or 0, str(line.get("guid") or "")))


def assemble(tree: FetchedTree) -> ReleasedBom:
    """Canonical parts and lines from fetched data, depth-first in find-number order."""
    parts = {number: part_from_item(item) for number, item in tree.items.items()}
    order: list[str] = [tree.top]
    seen, expanded = {tree.top}, set()
    lines: list[BomLine] = []

    def visit(number: str, path: tuple[str, ...]) -> None:
        expanded.add(number)
        parent = parts[number]
        for raw in _ordered(tree.boms.get(number, [])):
            child = str(_component_ref(raw, number)["number"])
            if child in path:  # a back edge: the child is one of its own ancestors
                loop = " -> ".join((*path[path.index(child) :], child))
                raise PLMDataError(f"BOM of {tree.top} contains a loop: {loop}", code="BOM_CYCLE")
            lines.append(bom_line_from_arena(parent, raw, parts[child], level=len(path), path=path))
            if child not in seen:
                seen.add(child)
                order.append(child)
            if child in tree.boms and child not in expanded:
                visit(child, (*path, child))

    visit(tree.top, (tree.top,))
    return ReleasedBom(assembly=parts[tree.top], parts=[parts[n] for n in order], lines=lines)


def with_change_numbers(released: ReleasedBom, change_numbers: Mapping[str, str]) -> ReleasedBom:
    """The same BOM with each part's effective change order number set (where the PLM names one)."""
    parts = [
        replace(p, change_number=change_numbers[p.number]) if change_numbers.get(p.number) else p
        for p in released.parts
    ]
    return ReleasedBom(assembly=parts[0], parts=parts, lines=released.lines)
