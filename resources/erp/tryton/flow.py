"""The BOM sync to a Tryton connection outside Dagster: map the released PLM BOM, plan against a fresh
read of Tryton, apply. The same engine calls as the SAP assets (`map_released_bom`, `build_plan`).

Without a state store the plan compares with Tryton as it is now only, so an already equal record is an
update with no changed fields, which `TrytonERPClient.apply` skips: a re-run writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from resources.erp.tryton.client import TrytonERPClient
from sync.flows import BOM_FLOW
from sync.mapping import MappedBom, MappingError, map_released_bom
from sync.plan import Plan
from sync.planner import build_plan
from sync.records import BomLine, Part
from sync.spec import MappingSpec

FLOW = BOM_FLOW


class TrytonMappingError(ValueError):
    """PLM data that cannot become Tryton records; nothing was written. `.errors` names record and field."""

    def __init__(self, errors: list[MappingError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass
class SyncResult:
    plan: Plan
    counts: dict[str, int] = field(default_factory=dict)


def repeated_components(lines: Iterable[BomLine]) -> list[MappingError]:
    """A Tryton BOM line is its component: a component twice under one parent would merge two PLM lines."""
    seen = Counter((line.parent_number, line.component_number) for line in lines)
    return [
        MappingError(
            "bom_item",
            f"{parent}/{component}",
            "BillOfMaterialItemNumber",
            "MAPPING_KEY_DUPLICATE",
            f"component {component!r} appears {n} times in the BOM of {parent!r}",
        )
        for (parent, component), n in sorted(seen.items())
        if n > 1
    ]


def plan_bom_sync(
    client: TrytonERPClient, spec: MappingSpec, parts: list[Part], lines: list[BomLine], partition: str = ""
) -> tuple[MappedBom, Plan]:
    """Map and plan; raises `TrytonMappingError` before any read or write if the PLM data does not map."""
    mapped = map_released_bom(spec, parts, lines)
    errors = repeated_components(lines) + mapped.errors
    if errors:
        raise TrytonMappingError(errors)
    snapshot = {
        "material": client.read_materials(sorted(mapped.materials)),
        **client.snapshot(sorted(mapped.bom_headers)),
    }
    plan = build_plan(spec, mapped.desired(), {}, snapshot, flow=FLOW, partition=partition)
    return mapped, plan


def sync_bom(
    client: TrytonERPClient, spec: MappingSpec, parts: list[Part], lines: list[BomLine], partition: str = ""
) -> SyncResult:
    """Plan and apply one released BOM set; typed transport errors propagate (a re-run converges)."""
    _, plan = plan_bom_sync(client, spec, parts, lines, partition)
    return SyncResult(plan, client.apply(plan.items))
