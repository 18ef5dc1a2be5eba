"""What the stock and asset-master flows keep in the state store, through its record state (no table of its
own): the asset master's baseline `asset_master` "<site>/<equipment>" (the field values both sides last
agreed on, target key = the EAM asset), plus each flow's runs and dead letters under its own flow name."""

from __future__ import annotations

from typing import Any

import dagster as dg

from resources.state import StateStore, SyncStateResource
from sync.checksum import checksum
from sync.flows import ASSET_MASTER_FLOW
from sync.records import AppliedChange, FailedChange

BASELINE = "asset_master"


def sync_run(context: dg.AssetExecutionContext, sync_state: SyncStateResource, flow: str) -> int:
    """The state store's run of `flow` for this Dagster run (one per run, shared by its assets)."""
    store = sync_state.store()
    for run in store.recent_runs(flow, context.partition_key, limit=5):
        if run.dagster_run_id == context.run.run_id:
            return run.id
    return store.start_run(flow, context.partition_key, context.run.run_id, context.run.run_id)


def record_failure(
    store: StateStore,
    run_id: int,
    flow: str,
    entity: str,
    key: str,
    code: str | None,
    message: str,
    retryable: bool,
    payload: dict[str, Any] | None = None,
) -> None:
    failure = FailedChange(entity, key, "update", payload, code or "error", message, retryable)
    store.record_batch(run_id, flow, [], [failure])


def baselines(store: StateStore, site: str) -> dict[str, dict[str, Any]]:
    """Equipment number -> the asset fields both sides last agreed on."""
    found = store.stored_records(BASELINE, key_prefix=f"{site}/")
    return {key.split("/", 1)[1]: dict(r.payload or {}) for key, r in found.items()}


def record_baseline(store: StateStore, run_id: int, site: str, equipment: str, asset: str, values: dict) -> None:
    change = AppliedChange(
        BASELINE, f"{site}/{equipment}", "update", None, values, checksum(values), target_key=f"{site}/{asset}"
    )
    store.record_batch(run_id, ASSET_MASTER_FLOW, [change], [])
