"""Multi-level BOM trees built from single-level BOM lines: cycles, levels, orders, where-used,
rolled-up quantities, and the identity of a line across revisions.

Line identity rule (`match_lines`): a line is its parent plus its find number. Same find number in
both revisions = the same line (an update, even if the component changed). A find number that
vanished and a find number that appeared carrying the SAME component are one line renumbered (an
update of the existing ERP item, not delete + create); when a component vanished from several find
numbers and appeared at several, they are paired in ascending find-number order and the surplus is
deleted or created.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sync.records import BomLine


class BomCycleError(ValueError):
    """The BOM contains a loop; `.cycle` lists it from and back to the same item."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(f"BOM cycle: {' -> '.join(cycle)}")


@dataclass(frozen=True)
class Edge:
    parent: str
    child: str
    quantity: Decimal = Decimal(1)


class BomTree:
    """Parent -> child edges of a BOM set. Built once, cycle-checked, then queried."""

    def __init__(self, edges: Iterable[Edge], check: bool = True) -> None:
        self.children: dict[str, list[Edge]] = defaultdict(list)
        self.parents: dict[str, list[Edge]] = defaultdict(list)
        for edge in edges:
            self.children[edge.parent].append(edge)
            self.parents[edge.child].append(edge)
        self.items = sorted(set(self.children) | set(self.parents))
        if check:
            self.check_acyclic()

    @classmethod
    def from_lines(cls, lines: Iterable[BomLine]) -> BomTree:
        """Tree of released BOM lines (quantity per one parent)."""
        return cls(Edge(x.parent_number, x.component_number, x.quantity) for x in lines)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> BomTree:
        return cls(Edge(p, c) for p, c in pairs)

    def roots(self) -> list[str]:
        """Items that are nobody's component (top-level assemblies)."""
        return [i for i in self.items if i in self.children and i not in self.parents]

    def check_acyclic(self) -> None:
        """Raise BomCycleError naming the first loop found (iterative DFS, so deep BOMs are fine)."""
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        for start in self.items:
            if start in state:
                continue
            path, stack = [start], [iter(self.children.get(start, ()))]
            state[start] = 1
            while stack:
                edge = next(stack[-1], None)
                if edge is None:
                    state[path.pop()] = 2
                    stack.pop()
                elif state.get(edge.child) == 1:
                    raise BomCycleError([*path[path.index(edge.child) :], edge.child])
                elif edge.child not in state:
                    state[edge.child] = 1
                    path.append(edge.child)
                    stack.append(iter(self.children.get(edge.child, ())))

    def heights(self) -> dict[str, int]:
        """Item -> 0 for a leaf, else 1 + the highest child: build order (lowest first)."""
        height: dict[str, int] = {}
        for item in self.bottom_up():
            height[item] = 1 + max((height[e.child] for e in self.children.get(item, ())), default=-1)
        return height

    def bottom_up(self) -> list[str]:
        """Every item, each after all of its components (children before parents)."""
        order, done = [], set()
        for start in self.items:
            if start in done:
                continue
            stack = [(start, iter(self.children.get(start, ())))]
            done.add(start)
            while stack:
                item, edges = stack[-1]
                edge = next(edges, None)
                if edge is None:
                    order.append(item)
                    stack.pop()
                elif edge.child not in done:
                    done.add(edge.child)
                    stack.append((edge.child, iter(self.children.get(edge.child, ()))))
        return order

    def depth_first(self, root: str) -> list[tuple[int, Edge]]:
        """(level, edge) in depth-first order from a root; shared subassemblies appear at each use."""
        out: list[tuple[int, Edge]] = []
        stack = [(1, e) for e in reversed(self.children.get(root, ()))]
        while stack:
            level, edge = stack.pop()
            out.append((level, edge))
            stack.extend((level + 1, e) for e in reversed(self.children.get(edge.child, ())))
        return out

    def levels(self, root: str) -> dict[str, int]:
        """Item -> deepest level it is used at under root (root = 0): low-level codes."""
        level = {root: 0}
        for item in reversed(self.bottom_up()):  # parents before children
            if item in level:
                for edge in self.children.get(item, ()):
                    level[edge.child] = max(level.get(edge.child, 0), level[item] + 1)
        return level

    def depth(self, root: str | None = None) -> int:
        """Number of levels below root (or below the deepest root)."""
        if root is None:
            return max((self.depth(r) for r in self.roots()), default=0)
        return max(self.levels(root).values(), default=0)

    def where_used(self, item: str, transitive: bool = False) -> list[str]:
        """Parents using item directly, or every assembly above it when transitive."""
        found, todo = set(), [item]
        while todo:
            for edge in self.parents.get(todo.pop(), ()):
                if edge.parent not in found:
                    found.add(edge.parent)
                    if transitive:
                        todo.append(edge.parent)
        return sorted(found)

    def extended_quantities(self, root: str) -> dict[str, Decimal]:
        """Component -> total quantity needed for one root, multiplied down every path."""
        total: dict[str, Decimal] = defaultdict(Decimal)
        total[root] = Decimal(1)
        for item in reversed(self.bottom_up()):  # each parent's total is complete before its children
            if item in total and total[item]:
                for edge in self.children.get(item, ()):
                    total[edge.child] += total[item] * edge.quantity
        total.pop(root)
        return {k: v for k, v in total.items() if v}


@dataclass(frozen=True)
class LineMatch:
    """How the lines of one parent before and after correspond (positions are find/item numbers)."""

    kept: list[Any]  # same position in both
    renumbered: list[tuple[Any, Any]]  # (old position, new position), same component
    removed: list[Any]
    added: list[Any]


def match_lines(before: Mapping[Any, Hashable], after: Mapping[Any, Hashable]) -> LineMatch:
    """Match one parent's lines (position -> component) across revisions by the rule in the module doc."""
    kept = sorted(set(before) & set(after))
    vanished: dict[Hashable, list[Any]] = defaultdict(list)
    appeared: dict[Hashable, list[Any]] = defaultdict(list)
    for pos in sorted(set(before) - set(after)):
        vanished[before[pos]].append(pos)
    for pos in sorted(set(after) - set(before)):
        appeared[after[pos]].append(pos)
    renumbered, removed, added = [], [], []
    for component in set(vanished) | set(appeared):
        old, new = vanished.get(component, []), appeared.get(component, [])
        renumbered.extend(zip(old, new, strict=False))
        removed.extend(old[len(new) :])
        added.extend(new[len(old) :])
    return LineMatch(kept, sorted(renumbered), sorted(removed), sorted(added))
