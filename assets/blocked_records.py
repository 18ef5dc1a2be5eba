"""Keeping the records a blocking check stops as dead letters, under a sync run of their own that is closed
as failed with the check's name as its reason (so the apply's own sync run is never this one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from expectations.blocked import RecordOf, blocked_changes
from expectations.gx_runtime import TableValidation
from resources.state import SyncStateResource
from sync.flows import BOM_FLOW
from sync.keys import bom_item_key, item_number


def plm_line_record(address: Mapping[str, object]) -> RecordOf:
    """A PLM BOM line's row -> the ERP BOM item it would have become (`address`: the spec's Plant and usage)."""
    plant, usage = str(address.get("Plant", "1000")), str(address.get("BillOfMaterialVariantUsage", "1"))
    return lambda row: (
        "bom_item",
        bom_item_key(str(row["parent_number"]).strip(), plant, usage, item_number(row["find_number"])),
    )


PLAN_RECORDS: dict[str, RecordOf] = {
    "material_writes": lambda row: ("material", str(row["key"])),
    "bom_header_writes": lambda row: ("bom_header", str(row["key"])),
    "bom_item_writes": lambda row: ("bom_item", str(row["key"])),
}
PART_RECORDS: dict[str, RecordOf] = {"plm_parts": lambda row: ("material", str(row["number"]))}


def dead_letter_blocked(
    context: dg.AssetCheckExecutionContext,
    sync_state: SyncStateResource,
    check: str,
    validations: Sequence[TableValidation],
    records: Mapping[str, RecordOf],
) -> int:
    """Dead-letter every record the check's critical expectations stopped; returns how many."""
    failed = blocked_changes(check, validations, records)
    if not failed:
        return 0
    store = sync_state.store()
    run_id = store.start_run(BOM_FLOW, context.partition_key, context.run.run_id, context.run.run_id)
    store.record_batch(run_id, BOM_FLOW, [], failed)
    store.finish_run(
        run_id,
        "failed",
        {"failed": len(failed)},
        reason=f"blocked by check {check}: {len(failed)} record(s) not written",
    )
    context.log.warning(f"{context.partition_key} {check}: {len(failed)} record(s) blocked and dead-lettered")
    return len(failed)
