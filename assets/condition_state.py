"""The condition flow's state-store records (resources/state/condition_events.py) and its sync run per
Dagster run."""

from __future__ import annotations

import dagster as dg

from resources.state import SyncStateResource
from resources.state.condition_events import (  # noqa: F401  (the flow's assets use them through this module)
    DROP_SOURCE,
    EVENT,
    REQUEST,
    STATUS_COLUMNS,
    record_requests,
    record_statuses,
    requests,
    status_rows,
    statuses,
)
from sync.flows import CONDITION_FLOW


def sync_run(context: dg.AssetExecutionContext, sync_state: SyncStateResource) -> int:
    """The state store's run for this Dagster run (one per run, shared by the flow's assets)."""
    store = sync_state.store()
    for run in store.recent_runs(CONDITION_FLOW, None, limit=5):
        if run.dagster_run_id == context.run.run_id:
            return run.id
    return store.start_run(CONDITION_FLOW, None, context.run.run_id, context.run.run_id)
