"""Shared test helpers: the default spec, synthetic BOMs, and an in-memory target that applies plans."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sync.applied import applied_changes, fold_applied
from sync.mapping import map_released_bom
from sync.plan import Plan
from sync.planner import build_plan
from sync.records import BomLine, Part, StoredRecord
from sync.spec import MappingSpec
from sync.spec_builder import load_spec

SPEC_PATH = Path(__file__).resolve().parents[2] / "mappings" / "plm_to_erp.yaml"
Target = dict[str, dict[str, dict[str, Any]]]
Stored = dict[str, dict[str, StoredRecord]]


def default_spec() -> MappingSpec:
    return load_spec(SPEC_PATH)


def part(
    number: str, uom: str = "EA", category: str = "Machined Part", make_buy: str = "MAKE", name: str | None = None
) -> Part:
    return Part(number, name or f"Part {number}", "A", uom, category, make_buy)


def line(parent: str, find: int, component: str, qty: str = "1", uom: str = "EA", **kw: Any) -> BomLine:
    return BomLine(parent, "A", find, component, "A", Decimal(qty), uom, **kw)


def flat_bom(n_lines: int, top: str = "ASM-1") -> tuple[list[Part], list[BomLine]]:
    """One assembly with n purchased components, find numbers 10, 20, ..."""
    parts = [part(top, category="Assembly")]
    lines = []
    for i in range(n_lines):
        number = f"PRT-{i:05d}"
        parts.append(part(number, "EA", "Fastener", "BUY"))
        lines.append(line(top, 10 * (i + 1), number, str(i % 7 + 1)))
    return parts, lines


def apply_plan(target: Target, plan: Plan) -> None:
    """What a well-behaved ERP does with a plan: create, patch (moving renumbered items), delete."""
    for item in plan.items:
        rows = target.setdefault(item.entity, {})
        if item.op == "delete":
            rows.pop(item.key, None)
        elif item.op == "create":
            rows.pop(item.previous_key or item.key, None)
            rows[item.key] = dict(item.after or {})
        elif item.op == "update":
            current = rows.pop(item.previous_key or item.key, {})
            rows[item.key] = {**current, **item.patch}


def sync_once(
    spec: MappingSpec,
    parts: list[Part],
    lines: list[BomLine],
    target: Target,
    stored: Stored,
    use_snapshot: bool = True,
) -> tuple[Plan, Stored]:
    """Map, plan (retiring BOMs that are no longer desired), apply to target, fold the state."""
    desired = map_released_bom(spec, parts, lines).desired()
    retired = set(stored.get("bom_header", {})) - set(desired["bom_header"])
    snapshot = {e: {k: dict(v) for k, v in rows.items()} for e, rows in target.items()} if use_snapshot else None
    plan = build_plan(spec, desired, stored, snapshot, retired_boms=retired)
    apply_plan(target, plan)
    changes = [c for item in plan.items for c in applied_changes(item, spec_version=spec.version)]
    return plan, fold_applied(stored, changes)


def mapped(spec: MappingSpec, parts: list[Part], lines: list[BomLine]) -> Target:
    return map_released_bom(spec, parts, lines).desired()
