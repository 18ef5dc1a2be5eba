"""EAM material transactions -> ERP goods issues, exactly once: the plan (a dry run) and its apply.

Each ISSUE becomes one goods issue against the work order's reservation item (201 cost centre / 261 order),
each RETURN its reversal (202 / 262). The EAM transaction id is the idempotency key three times over: the
state store records it "posting" before the post and "posted" after it; it is the document's header text;
and the ERP is searched for it before any post, also before a re-post after an answer that never came.
"""

import time

import dagster as dg
import pandas as pd

from assets import maintenance_state as state
from assets.keys import (
    EAM_MATERIAL_TRANSACTIONS,
    ERP_GOODS_ISSUE_PLAN,
    ERP_GOODS_ISSUES,
    ERP_RESERVATIONS,
    OWNERS,
    ins,
    maintenance_tags,
)
from assets.maintenance_posting import (
    RESULT_COLUMNS,
    alert_if_breaker_opened,
    alert_new_plant_critical,
    post_changes,
    severity_from_eam,
)
from assets.maintenance_spec import MaintenanceSpecResource
from assets.metadata import api_metadata, rows_table
from assets.partitions import sites
from resources.alerts import AlertResource
from resources.eam import EAMResource
from resources.eam.client import TRANSACTIONS
from resources.erp import ERPResource
from resources.state import SyncStateResource
from sync.flows import MAINTENANCE_FLOW
from sync.frames import frame_to_records, records_to_frame
from sync.maintenance_plan import GoodsIssueChange, next_cursor, plan_goods_issues
from sync.records import MaterialTransaction
from sync.severity import PLANT_CRITICAL


@dg.asset(
    key=ERP_GOODS_ISSUE_PLAN,
    ins=ins(eam_material_transactions=EAM_MATERIAL_TRANSACTIONS, erp_reservations=ERP_RESERVATIONS),
    partitions_def=sites,
    group_name=MAINTENANCE_FLOW,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=maintenance_tags("plan"),
    description="Goods issues and reversals to post, one per EAM transaction not posted yet (dry run).",
)
def erp_goods_issue_plan(
    context: dg.AssetExecutionContext,
    eam_material_transactions: pd.DataFrame,
    erp_reservations: pd.DataFrame,
    sync_state: SyncStateResource,
    maintenance_spec: MaintenanceSpecResource,
) -> dg.Output:
    site, store = context.partition_key, sync_state.store()
    transactions = frame_to_records(eam_material_transactions, MaterialTransaction)
    marks = state.postings(store, [str(t.transaction_id) for t in transactions])
    posted = {key for key, mark in marks.items() if mark.get("state") == "posted"}
    changes = plan_goods_issues(maintenance_spec.spec(), transactions, state.links(store, site), posted)
    counts = {
        "to_post": sum(c.op == "post" for c in changes),
        "held": sum(c.op == "held" for c in changes),
        "already_posted": len(transactions) - len(changes),
    }
    context.log.info(f"{site}: goods issue plan {counts}")
    held = [{"key": c.key, "work_order": c.work_order, "message": c.message} for c in changes if c.op == "held"]
    return dg.Output(
        records_to_frame(changes, GoodsIssueChange),
        metadata={
            **counts,
            **({"held_transactions": rows_table(held, ["key", "work_order", "message"])} if held else {}),
        },
    )


@dg.asset(
    key=ERP_GOODS_ISSUES,
    ins=ins(erp_goods_issue_plan=ERP_GOODS_ISSUE_PLAN),
    partitions_def=sites,
    group_name=MAINTENANCE_FLOW,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=maintenance_tags("apply"),
    pool="erp_api",
    description="Goods issues and reversals posted to the ERP, one per EAM transaction, with each outcome.",
)
def erp_goods_issues(
    context: dg.AssetExecutionContext,
    erp_goods_issue_plan: pd.DataFrame,
    erp: ERPResource,
    eam: EAMResource,
    sync_state: SyncStateResource,
    alerts: AlertResource,
) -> dg.Output:
    site, store, started = context.partition_key, sync_state.store(), time.monotonic()
    run_id = state.sync_run(context, sync_state)
    changes = frame_to_records(erp_goods_issue_plan, GoodsIssueChange)
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        outcome, _ = post_changes(
            client, store, run_id, (c for c in changes if c.op == "post"), severity_from_eam(eam, context.log)
        )
        metrics = client.metrics.snapshot()
    rows, failures = outcome.rows, outcome.failures
    held = [c.rowstamp for c in changes if c.op == "held"] + outcome.held
    alert_new_plant_critical(store, alerts, [r["key"] for r in failures], site, context.run.run_id, context.log)
    pending = state.cursor(store, site, TRANSACTIONS, pending=True)
    committed = state.cursor(store, site, TRANSACTIONS)
    cursor = max(committed, next_cursor(pending, held))
    if cursor > committed:
        state.set_cursor(store, run_id, site, TRANSACTIONS, cursor)
    status = "partial" if failures else "succeeded"
    store.finish_run(run_id, status, {"created": outcome.posted, "failed": len(failures)})
    alert_if_breaker_opened(store, alerts, status, site, context.run.run_id, context.log)
    context.log.info(
        f"{site}: {outcome.posted} goods movement(s) posted, {len(failures)} failed, {len(held) - len(failures)} held"
    )
    return dg.Output(
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        metadata={
            "posted": outcome.posted,
            "failed": len(failures),
            "failed_plant_critical": sum(r["severity"] == PLANT_CRITICAL for r in failures),
            "cursor": cursor,
            "duration_s": round(time.monotonic() - started, 3),
            **api_metadata("erp", metrics),
            **({"dead_letters": rows_table(failures, RESULT_COLUMNS)} if failures else {}),
        },
    )
