"""Jobs: the BOM sync of one assembly partition, its dry run, and reconciliation.

Each run executes its steps in one process (the in-process executor): starting a process per step cost
1-5 s each and a run of a no-op assembly took 36-85 s from the UI; the steps of a BOM sync run one after
the other anyway (extract, plans, apply), so a process per step bought no parallelism. Runs still run in
parallel with each other, bounded by the pools; a deployment on Celery workers picks its own executor.
"""

import dagster as dg

from assets.keys import MAINTENANCE_RECONCILIATION, STAGE_TAG
from assets.partitions import assemblies, sites
from resources.trigger_settings import retry_delays
from sync.flows import BOM_FLOW, MAINTENANCE_FLOW

BOM_FLOW_ASSETS = dg.AssetSelection.groups(BOM_FLOW)
EXTRACT = BOM_FLOW_ASSETS & dg.AssetSelection.tag(STAGE_TAG, "extract")
PLANS = BOM_FLOW_ASSETS & dg.AssetSelection.tag(STAGE_TAG, "plan")
APPLY = BOM_FLOW_ASSETS & dg.AssetSelection.tag(STAGE_TAG, "apply")


def bom_sync_retry_policy(delays: tuple[float, ...] | None = None) -> dg.RetryPolicy | None:
    """Op retries for transient failures (MFG_SYNC_RETRY_DELAYS_S, default 300,900,1800 s).

    Dagster's exponential backoff waits first * (2^n - 1): 5, 15, 35 minutes for the default list.
    """
    delays = retry_delays() if delays is None else delays
    if not delays:
        return None
    return dg.RetryPolicy(max_retries=len(delays), delay=delays[0], backoff=dg.Backoff.EXPONENTIAL)


BOM_SYNC_SELECTION = EXTRACT | PLANS | APPLY

bom_sync = dg.define_asset_job(
    BOM_FLOW,
    selection=BOM_SYNC_SELECTION,
    partitions_def=assemblies,
    description="Released PLM BOM of one top-level assembly -> ERP materials and BOMs (deltas only).",
    op_retry_policy=bom_sync_retry_policy(),
    executor_def=dg.in_process_executor,
)

bom_plan = dg.define_asset_job(
    "bom_plan",
    selection=EXTRACT | PLANS,
    partitions_def=assemblies,
    description="Dry run of bom_sync: extract and plan, write nothing to the ERP.",
    executor_def=dg.in_process_executor,
)

reconciliation = dg.define_asset_job(
    "reconciliation",
    # the maintenance reconciliation reads the EAM too: it is its own job (assets/maintenance_reconciliation.py)
    selection=dg.AssetSelection.groups("reconciliation", "monitoring")
    - dg.AssetSelection.assets(MAINTENANCE_RECONCILIATION),
    description="PLM vs ERP field by field for all assemblies, and the sync statistics; writes neither system.",
    executor_def=dg.in_process_executor,
)

MAINTENANCE_SYNC_SELECTION = dg.AssetSelection.groups(MAINTENANCE_FLOW)

maintenance_sync = dg.define_asset_job(
    MAINTENANCE_FLOW,
    selection=MAINTENANCE_SYNC_SELECTION,
    partitions_def=sites,
    description="EAM work orders and material movements of one site -> ERP reservations and goods issues.",
    executor_def=dg.in_process_executor,
)
