"""Approved work orders -> ERP reservations: the plan (a dry run) and its apply.

One reservation per approved work order, one item per planned line; a changed planned quantity updates the
item, a removed line flags it for deletion, a cancelled work order retires the reservation (every item
flagged: SAP deletes no reservation through the API). The link work order <-> reservation is the state
store's; a re-run plans nothing, so it writes nothing.
"""

import time

import dagster as dg
import pandas as pd

from assets import maintenance_state as state
from assets.keys import (
    EAM_WORK_ORDER_MATERIALS,
    EAM_WORK_ORDERS,
    ERP_RESERVATION_PLAN,
    ERP_RESERVATIONS,
    OWNERS,
    ins,
    maintenance_tags,
)
from assets.maintenance_posting import WorkOrderFactsCache, alert_new_plant_critical
from assets.maintenance_spec import MaintenanceSpecResource
from assets.metadata import api_metadata, rows_table
from assets.partitions import sites
from resources.alerts import AlertResource
from resources.eam import EAMResource
from resources.eam.client import WORK_ORDER
from resources.erp import ERPResource
from resources.state import SyncStateResource
from resources.transport import ApiError
from sync.flows import MAINTENANCE_FLOW
from sync.frames import frame_to_records, records_to_frame
from sync.maintenance_plan import (
    ReservationChange,
    applied_to_link,
    link_payload,
    plan_reservations,
    reservation_to_create,
)
from sync.records import WorkOrder, WorkOrderMaterial

RESULT_COLUMNS = ["key", "op", "reservation", "line_id", "status", "error_code", "message"]


@dg.asset(
    key=ERP_RESERVATION_PLAN,
    ins=ins(eam_work_orders=EAM_WORK_ORDERS, eam_work_order_materials=EAM_WORK_ORDER_MATERIALS),
    partitions_def=sites,
    group_name=MAINTENANCE_FLOW,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=maintenance_tags("plan"),
    description="Reservations to create, items to update or flag for deletion, reservations to retire (dry run).",
)
def erp_reservation_plan(
    context: dg.AssetExecutionContext,
    eam_work_orders: pd.DataFrame,
    eam_work_order_materials: pd.DataFrame,
    sync_state: SyncStateResource,
    maintenance_spec: MaintenanceSpecResource,
) -> dg.Output:
    site = context.partition_key
    changes = plan_reservations(
        maintenance_spec.spec(),
        frame_to_records(eam_work_orders, WorkOrder),
        frame_to_records(eam_work_order_materials, WorkOrderMaterial),
        state.links(sync_state.store(), site),
    )
    counts = {
        op: sum(c.op == op for c in changes) for op in ("create", "update_item", "flag_deleted", "retire", "error")
    }
    context.log.info(f"{site}: reservation plan {counts}")
    return dg.Output(records_to_frame(changes, ReservationChange), metadata={f"to_{op}": n for op, n in counts.items()})


@dg.asset(
    key=ERP_RESERVATIONS,
    ins=ins(erp_reservation_plan=ERP_RESERVATION_PLAN),
    partitions_def=sites,
    group_name=MAINTENANCE_FLOW,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=maintenance_tags("apply"),
    pool="erp_api",
    description="The reservation plan applied to the ERP, each change's outcome; failures become dead letters.",
)
def erp_reservations(
    context: dg.AssetExecutionContext,
    erp_reservation_plan: pd.DataFrame,
    erp: ERPResource,
    eam: EAMResource,
    sync_state: SyncStateResource,
    alerts: AlertResource,
) -> dg.Output:
    site, store, started = context.partition_key, sync_state.store(), time.monotonic()
    facts = WorkOrderFactsCache(eam, context.log)
    run_id = state.sync_run(context, sync_state)
    links = state.links(store, site)
    rows = []
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        for change in frame_to_records(erp_reservation_plan, ReservationChange):
            row = {
                "key": change.key,
                "op": change.op,
                "reservation": change.reservation,
                "line_id": change.line_id,
                "status": "applied",
                "error_code": None,
                "message": change.message,
            }
            if change.op == "error":
                state.record_failure(store, run_id, state.LINK, change.key, "MAINTENANCE_PLAN", change.message, False)
                rows.append({**row, "status": "failed", "error_code": "MAINTENANCE_PLAN"})
                continue
            try:
                before = links.get(change.key)
                links[change.key] = _apply(client.maintenance, change, before)
            except ApiError as err:
                state.record_failure(
                    store, run_id, state.LINK, change.key, err.code, str(err), err.retryable, facts.severity(change.key)
                )
                rows.append({**row, "status": "failed", "error_code": err.code, "message": str(err), "api": True})
                continue
            state.record_link(store, run_id, change.key, links[change.key], before)
            rows.append({**row, "reservation": links[change.key]["reservation"]})
        metrics = client.metrics.snapshot()
    failures = [r for r in rows if r["status"] == "failed"]
    keys = [r["key"] for r in failures]
    alert_new_plant_critical(store, alerts, keys, site, context.run.run_id, context.log, entity=state.LINK)
    if not any(r.get("api") for r in failures):  # all read was applied (a plan error is re-read via its link)
        state.commit_cursor(store, run_id, site, WORK_ORDER)
    context.log.info(f"{site}: {len(rows) - len(failures)} reservation change(s) applied, {len(failures)} failed")
    return dg.Output(
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        metadata={
            "applied": len(rows) - len(failures),
            "failed": len(failures),
            "duration_s": round(time.monotonic() - started, 3),
            **api_metadata("erp", metrics),
            **({"dead_letters": rows_table(failures, RESULT_COLUMNS)} if failures else {}),
        },
    )


def _apply(maintenance, change: ReservationChange, link: dict | None) -> dict:
    """One change to the ERP; returns the link as it stands afterwards."""
    if change.op == "create":
        reservation, line_ids = reservation_to_create(change)
        return link_payload(maintenance.create_reservation(reservation), line_ids)
    assert link is not None, f"{change.op} of {change.key} without a link"
    if change.op == "update_item":
        maintenance.update_reservation_item(
            change.reservation, change.erp_item, {"ResvnItmRequiredQtyInBaseUnit": change.quantity_after}
        )
    elif change.op == "flag_deleted":
        maintenance.mark_reservation_item_deleted(change.reservation, change.erp_item)
    elif change.op == "retire":
        for item in link["items"].values():
            if not item["deleted"]:
                maintenance.mark_reservation_item_deleted(change.reservation, item["item"])
    return applied_to_link(link, change)
