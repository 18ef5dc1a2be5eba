"""The dry run: what the ERP must receive so it matches the released PLM BOM. Writes nothing to the ERP.

Each plan compares the mapped PLM data with what we last wrote (state store) AND with a fresh read of
the ERP, so edits made directly in the ERP, and writes a crashed run made without recording them, are
both seen before anything is written.
"""

import time
from collections import defaultdict
from collections.abc import Callable

import dagster as dg
import pandas as pd

from assets.keys import ERP_BOM_PLAN, ERP_MATERIAL_PLAN, OWNERS, PLM_BOM_LINES, PLM_PARTS, bom_tags, ins
from assets.metadata import api_metadata, rows_table
from assets.partitions import assemblies
from resources.erp import plan_reads
from resources.erp.interface import ERPConnection, ERPConnector
from resources.mapping_spec import MappingSpecResource
from resources.state import StateStore, SyncStateResource
from sync.flows import BOM_FLOW
from sync.frames import frame_to_records, plan_counts, plan_to_frame
from sync.keys import SEP, bom_header_key, bom_item_key, split_key
from sync.mapping import MappedBom, map_released_bom
from sync.plan_view import FIELD_CHANGE_COLUMNS, field_changes, plan_items_of, shown_note
from sync.planner import build_plan
from sync.records import BomLine, Part
from sync.spec import MappingSpec

CHANGES_SHOWN = 200  # rows of the change table in the UI; the stored table has them all


def map_extract(spec: MappingSpec, plm_parts: pd.DataFrame, plm_bom_lines: pd.DataFrame) -> MappedBom:
    return map_released_bom(spec, frame_to_records(plm_parts, Part), frame_to_records(plm_bom_lines, BomLine))


def read_bom_snapshot(client: ERPConnection, header_keys: list[str]) -> dict[str, dict[str, dict]]:
    """The released ERP BOMs of these headers, as the planner's target snapshot (bulk reads)."""
    headers: dict[str, dict] = {}
    items: dict[str, dict] = {}
    by_scope: dict[tuple[str, str], list[str]] = defaultdict(list)
    for header_key in header_keys:
        material, plant, usage = split_key(header_key)
        by_scope[(plant, usage)].append(material)
    for (plant, usage), materials in by_scope.items():
        for material, bom in client.read_boms(materials, plant, usage).items():
            headers[bom_header_key(material, plant, usage)] = bom.header
            address = {"Material": material, "Plant": plant, "BillOfMaterialVariantUsage": usage}
            for item in bom.items:  # the ERP reads items without their header's key fields: add them back
                key = bom_item_key(material, plant, usage, item["BillOfMaterialItemNumber"])
                items[key] = {**item, **address}
    return {"bom_header": headers, "bom_item": items}


def change_orders(plm_parts: pd.DataFrame) -> dict[str, str]:
    """Part number -> the PLM change order that made its revision effective (where the PLM names one)."""
    if "change_number" not in plm_parts:
        return {}
    return {n: c for n, c in zip(plm_parts["number"], plm_parts["change_number"], strict=True) if c}


def _change_orders_text(plan, orders: dict[str, str]) -> str:
    """Which change number each changed BOM's item edits go under (the run id where the PLM names none)."""
    boms = sorted({split_key(i.key)[0] for i in plan.changes() if i.entity in ("bom_header", "bom_item")})
    return "\n".join(f"{bom}: {orders.get(bom) or '(no PLM change order: the run id)'}" for bom in boms)


def _plan_output(
    context: dg.AssetExecutionContext,
    frame: pd.DataFrame,
    spec_version: str,
    started: float,
    metrics: dict,
    descriptions: dict[str, str],
    notes: dict | None = None,
) -> dg.Output:
    counts = plan_counts(frame)
    changes = field_changes(plan_items_of(frame), descriptions)
    shown = min(len(changes), CHANGES_SHOWN)
    context.log.info(f"{context.partition_key}: plan {counts}")
    return dg.Output(
        frame,
        metadata={
            **{f"to_{op}": n for op, n in counts.items()},
            "spec_version": spec_version,
            "correlation_id": context.run.run_id,
            "duration_s": round(time.monotonic() - started, 3),
            **api_metadata("erp", metrics),
            "changes": rows_table(changes, FIELD_CHANGE_COLUMNS, limit=CHANGES_SHOWN),
            "changes_shown": shown_note(
                shown,
                len(changes),
                "changed fields",
                "this asset's stored table (`path`), or `mfg-sync sync bom --dry-run`",
            ),
            **(notes or {}),
        },
    )


def plan_entities(
    context: dg.AssetExecutionContext,
    plm_parts: pd.DataFrame,
    plm_bom_lines: pd.DataFrame,
    erp: ERPConnector,
    store: StateStore,
    mapping_spec: MappingSpecResource,
    entities: tuple[str, ...],
    read_stored: Callable[[StateStore, MappedBom], dict],
    read_target: Callable[[ERPConnection, MappedBom], dict],
    flow: str = BOM_FLOW,
):
    """Map the extract, read what we last wrote and what the ERP holds now, and plan these entities.

    `store` is the state store as this ERP connection sees it; `flow` the connection's BOM-sync flow."""
    started = time.monotonic()
    spec = mapping_spec.spec()
    mapped = map_extract(spec, plm_parts, plm_bom_lines)
    stored = read_stored(store, mapped)
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        snapshot = read_target(client, mapped)
        metrics = client.metrics.snapshot()
    kind = plan_reads.MATERIALS if entities == ("material",) else plan_reads.BOMS
    plan_reads.keep(context.run.run_id, context.partition_key, flow, kind, snapshot)
    desired = {entity: rows for entity, rows in mapped.desired().items() if entity in entities}
    # an ERP BOM of a part the PLM gives no BOM any more is retired (read with the others, by bulk)
    retired = (
        sorted(mapped.headers_without_bom & set(snapshot.get("bom_header", {}))) if "bom_header" in entities else []
    )
    plan = build_plan(
        spec,
        desired,
        stored,
        snapshot,
        retired_boms=retired,
        held=mapped.held_keys(),
        flow=flow,
        partition=context.partition_key,
    )
    errors = [e for e in mapped.errors if e.entity in entities]
    descriptions = dict(zip(plm_parts["number"], plm_parts["name"], strict=True))
    orders = _change_orders_text(plan, change_orders(plm_parts)) if "bom_item" in entities else ""
    notes = {"change_orders": dg.MetadataValue.text(orders)} if orders else {}
    return _plan_output(context, plan_to_frame(plan, errors), spec.version, started, metrics, descriptions, notes)


def read_materials_target(client: ERPConnection, mapped: MappedBom) -> dict:
    return {"material": client.read_materials(sorted(mapped.materials))}


def read_boms_target(client: ERPConnection, mapped: MappedBom) -> dict:
    """The ERP BOMs of the mapped headers, and of managed parts the PLM gives no BOM any more."""
    return read_bom_snapshot(client, sorted(set(mapped.bom_headers) | mapped.headers_without_bom))


def stored_materials(store: StateStore, mapped: MappedBom) -> dict:
    return {"material": store.stored_records("material", keys=sorted(mapped.materials))}


def stored_boms(store: StateStore, mapped: MappedBom) -> dict:
    headers = sorted(mapped.bom_headers)
    stored = {"bom_header": store.stored_records("bom_header", keys=headers), "bom_item": {}}
    for header_key in headers:  # by prefix: items no longer in the PLM must be found to be deleted
        stored["bom_item"].update(store.stored_records("bom_item", key_prefix=header_key + SEP))
    return stored


@dg.asset(
    key=ERP_MATERIAL_PLAN,
    ins=ins(plm_parts=PLM_PARTS, plm_bom_lines=PLM_BOM_LINES),
    partitions_def=assemblies,
    group_name=BOM_FLOW,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=bom_tags("plan"),
    pool="erp_api",
    description="Materials to create or update in the ERP for this assembly (a dry run: nothing is written).",
)
def erp_material_plan(
    context: dg.AssetExecutionContext,
    plm_parts: pd.DataFrame,
    plm_bom_lines: pd.DataFrame,
    erp: dg.ResourceParam[ERPConnector],
    sync_state: SyncStateResource,
    mapping_spec: MappingSpecResource,
) -> dg.Output:
    return plan_entities(
        context,
        plm_parts,
        plm_bom_lines,
        erp,
        sync_state.store(),
        mapping_spec,
        ("material",),
        stored_materials,
        read_materials_target,
    )


@dg.asset(
    key=ERP_BOM_PLAN,
    ins=ins(plm_parts=PLM_PARTS, plm_bom_lines=PLM_BOM_LINES),
    partitions_def=assemblies,
    group_name=BOM_FLOW,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=bom_tags("plan"),
    pool="erp_api",
    description="BOM headers and items to create, update or delete in the ERP, children before parents (dry run).",
)
def erp_bom_plan(
    context: dg.AssetExecutionContext,
    plm_parts: pd.DataFrame,
    plm_bom_lines: pd.DataFrame,
    erp: dg.ResourceParam[ERPConnector],
    sync_state: SyncStateResource,
    mapping_spec: MappingSpecResource,
) -> dg.Output:
    return plan_entities(
        context,
        plm_parts,
        plm_bom_lines,
        erp,
        sync_state.store(),
        mapping_spec,
        ("bom_header", "bom_item"),
        stored_boms,
        read_boms_target,
    )
