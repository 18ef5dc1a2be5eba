"""Run-failure sensor: a failed `bom_sync` (maintenance, condition) run is recorded in the state store and a
person is told.

A maintenance or condition run's failure alerts only when it opens the breaker: plant-critical records alert
at once from the apply step itself (assets/maintenance_posting.py, assets/condition_events.py), the rest
wait for the breaker.

A run that broke before the apply assets has no sync-run row yet: one is created, status failed, for that
Dagster run, so the circuit breaker counts it. The failure that opens the breaker sends ONE alert saying
so (instead of a plain failure alert); every other failure sends a failure alert.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from assets.condition_job import condition_sync
from assets.connection_bom_sync import JOB_OF_FLOW
from assets.jobs import bom_sync, maintenance_sync
from assets.maintenance_postings import maintenance_postings
from resources.alerts import Alert, AlertResource
from resources.state import StateStore, SyncStateResource
from resources.state.breaker import RESET_PARTITION, breaker_state
from resources.trigger_settings import breaker_threshold
from sync.flows import CONDITION_FLOW, MAINTENANCE_FLOW

PARTITION_TAG = "dagster/partition"
FLOW_OF_JOB = {maintenance_postings.name: MAINTENANCE_FLOW}  # the day-partitioned postings share the flow
# plant-critical records of these flows alert at once from their apply step; a failed run waits for the breaker
QUIET_UNTIL_BREAKER = frozenset({MAINTENANCE_FLOW, CONDITION_FLOW})


def record_failure(store: StateStore, flow: str, partition: str | None, dagster_run_id: str) -> str:
    """Close (or create) the sync run of a failed Dagster run as failed; returns the status it ends with.

    A run closed as "partial" keeps that status: its failures are per record and sit in the dead letters.
    """
    if partition == RESET_PARTITION:
        raise ValueError(f"partition {partition!r} is reserved for breaker resets")
    partition = partition or None  # an unpartitioned job's runs (condition_sync) have none
    for run in store.recent_runs(flow, partition, limit=20):
        if run.dagster_run_id == dagster_run_id:
            if run.status == "started":
                store.finish_run(run.id, "failed")
                return "failed"
            return run.status
    run_id = store.start_run(flow, partition, dagster_run_id, dagster_run_id)
    store.finish_run(run_id, "failed")
    return "failed"


def _root_cause(error: Any) -> str:
    """The innermost error (the system's own, not Dagster's step wrapper) as `Class: message`."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return f"{error.cls_name}: {error.message.strip()}" if error.cls_name else error.message.strip()


def failure_message(context: dg.RunFailureSensorContext) -> str:
    """The failing steps' root errors, else the run's own failure message."""
    steps = [
        f"{e.step_key}: {_root_cause(e.event_specific_data.error)}"
        for e in context.get_step_failure_events()
        if e.event_specific_data is not None and e.event_specific_data.error is not None
    ]
    return "; ".join(steps) or (context.failure_event.message or "run failed")


@dg.run_failure_sensor(
    name="bom_sync_failure_sensor",
    # every ERP connection's BOM sync (its flow is its job name) and the maintenance flows
    monitored_jobs=[bom_sync, *JOB_OF_FLOW.values(), maintenance_sync, maintenance_postings, condition_sync],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records failed bom_sync (every ERP connection), maintenance and condition runs per flow and "
    "partition, alerts, opens the breaker.",
)
def bom_sync_failure_sensor(
    context: dg.RunFailureSensorContext, sync_state: SyncStateResource, alerts: AlertResource
) -> None:
    run = context.dagster_run
    flow, partition = FLOW_OF_JOB.get(run.job_name, run.job_name), run.tags.get(PARTITION_TAG, "")
    store = sync_state.store()
    status = record_failure(store, flow, partition, run.run_id)
    error = failure_message(context)
    breaker = breaker_state(store, flow, breaker_threshold())
    just_opened = status == "failed" and breaker.failures == breaker.threshold
    if flow in QUIET_UNTIL_BREAKER and not just_opened:
        return
    title = (
        f"Circuit breaker OPEN for {flow}: {breaker.failures} consecutive failed runs, triggers paused"
        if just_opened
        else f"{flow} run failed for {partition or 'all partitions'}"
    )
    alerts.send(
        Alert(
            title=title,
            flow=flow,
            partition=partition,
            run_id=run.run_id,
            error=error,
            correlation_id=run.run_id,
            severity="critical" if just_opened else "error",
        ),
        logger=context.log,
    )
