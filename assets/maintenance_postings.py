"""The posting flow by day: every EAM material transaction of one day (all sites) -> ERP goods issues.

`maintenance_postings` (partitioned by day, UTC transaction date) reads the day's ISSUE and RETURN
transactions straight from the EAM (no rowstamp cursor: a day is a closed range, so a backfill of any day
re-reads it whole), plans them against the reservation links the site flow keeps, and posts what is not
posted yet through the same look-up-before-post as `maintenance_sync` (maintenance_posting.py). A
transaction whose work order has no reservation yet is held: the site flow posts it once it has one.
It never moves the site flow's cursors.
"""

import time
from datetime import datetime, timedelta

import dagster as dg
import pandas as pd

from assets import maintenance_state as state
from assets.keys import EAM_DAY_TRANSACTIONS, ERP_DAY_GOODS_ISSUES, FLOW_TAG, OWNERS, STAGE_TAG, SYSTEM_OF_RECORD_TAG
from assets.maintenance_posting import (
    RESULT_COLUMNS,
    alert_if_breaker_opened,
    alert_new_plant_critical,
    post_changes,
    severity_from_eam,
)
from assets.maintenance_spec import MaintenanceSpecResource
from assets.metadata import api_metadata, rows_table
from assets.partitions import days
from resources.alerts import AlertResource
from resources.eam import EAMResource
from resources.eam import records as eam_records
from resources.eam.client import TRANSACTIONS
from resources.erp import ERPResource
from resources.state import SyncStateResource
from sync.flows import MAINTENANCE_FLOW
from sync.frames import frame_to_records, records_to_frame
from sync.maintenance_plan import plan_goods_issues
from sync.records import MaterialTransaction
from sync.severity import PLANT_CRITICAL

POSTINGS_GROUP = "maintenance_postings"
POSTINGS_JOB = "maintenance_postings"


def _tags(stage: str) -> dict[str, str]:
    return {FLOW_TAG: MAINTENANCE_FLOW, STAGE_TAG: stage, SYSTEM_OF_RECORD_TAG: "eam"}


def day_range(day: str) -> tuple[str, str]:
    """The `transdate` bounds of one partition day, as the EAM's where clause compares them."""
    start = datetime.fromisoformat(day + "T00:00:00+00:00")
    return start.isoformat(), (start + timedelta(days=1)).isoformat()


@dg.asset(
    key=EAM_DAY_TRANSACTIONS,
    partitions_def=days,
    group_name=POSTINGS_GROUP,
    kinds={"maximo", "pandas", "parquet"},
    owners=OWNERS,
    tags=_tags("extract"),
    pool="eam_api",
    description="Material issues and returns (matusetrans) of one day, every site, read whole from the EAM.",
)
def eam_material_transactions_by_day(context: dg.AssetExecutionContext, eam: EAMResource) -> dg.Output:
    start, end = day_range(context.partition_key)
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as client:
        members = list(client.query(TRANSACTIONS, where=f'transdate>="{start}" and transdate<"{end}"'))
        metrics = client.metrics.snapshot()
    transactions = [eam_records.material_transaction(m) for m in members]
    sites = sorted({t.site for t in transactions})
    context.log.info(f"{context.partition_key}: {len(transactions)} material transactions at {', '.join(sites) or '-'}")
    return dg.Output(
        records_to_frame(transactions, MaterialTransaction),
        metadata={"transactions": len(transactions), "sites": ", ".join(sites), **api_metadata("eam", metrics)},
    )


@dg.asset(
    key=ERP_DAY_GOODS_ISSUES,
    ins={"eam_material_transactions_by_day": dg.AssetIn(EAM_DAY_TRANSACTIONS)},
    partitions_def=days,
    group_name=POSTINGS_GROUP,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=_tags("apply"),
    pool="erp_api",
    description="The day's transactions not posted yet, posted once each (EAM-MT-<id>); held wait for the site flow.",
)
def erp_goods_issues_by_day(
    context: dg.AssetExecutionContext,
    eam_material_transactions_by_day: pd.DataFrame,
    erp: ERPResource,
    eam: EAMResource,
    sync_state: SyncStateResource,
    maintenance_spec: MaintenanceSpecResource,
    alerts: AlertResource,
) -> dg.Output:
    day, store, started = context.partition_key, sync_state.store(), time.monotonic()
    transactions = frame_to_records(eam_material_transactions_by_day, MaterialTransaction)
    links = {k: v for site in sorted({t.site for t in transactions}) for k, v in state.links(store, site).items()}
    marks = state.postings(store, [str(t.transaction_id) for t in transactions])
    posted_before = {key for key, mark in marks.items() if mark.get("state") == "posted"}
    changes = plan_goods_issues(maintenance_spec.spec(), transactions, links, posted_before)
    run_id = state.sync_run(context, sync_state)
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        outcome, _ = post_changes(
            client, store, run_id, (c for c in changes if c.op == "post"), severity_from_eam(eam, context.log)
        )
        metrics = client.metrics.snapshot()
    failures = outcome.failures
    alert_new_plant_critical(store, alerts, [r["key"] for r in failures], day, context.run.run_id, context.log)
    held = [{"key": c.key, "work_order": c.work_order, "message": c.message} for c in changes if c.op == "held"]
    status = "partial" if failures else "succeeded"
    store.finish_run(run_id, status, {"created": outcome.posted, "failed": len(failures)})
    alert_if_breaker_opened(store, alerts, status, day, context.run.run_id, context.log)
    context.log.info(f"{day}: {outcome.posted} posted, {len(failures)} failed, {len(held)} held")
    return dg.Output(
        pd.DataFrame(outcome.rows, columns=RESULT_COLUMNS),
        metadata={
            "posted": outcome.posted,
            "failed": len(failures),
            "failed_plant_critical": sum(r["severity"] == PLANT_CRITICAL for r in failures),
            "held": len(held),
            "already_posted": len(transactions) - len(changes),
            "duration_s": round(time.monotonic() - started, 3),
            **api_metadata("erp", metrics),
            **({"dead_letters": rows_table(failures, RESULT_COLUMNS)} if failures else {}),
            **({"held_transactions": rows_table(held, ["key", "work_order", "message"])} if held else {}),
        },
    )


maintenance_postings = dg.define_asset_job(
    POSTINGS_JOB,
    selection=dg.AssetSelection.groups(POSTINGS_GROUP),
    partitions_def=days,
    description="EAM material transactions of one day -> ERP goods issues, exactly once (backfill a day from the UI).",
    executor_def=dg.in_process_executor,
)
