"""Run-failure sensor of the ERP -> EAM jobs: a failed `maintenance_stock_sync` or `asset_master_sync` run is
recorded in the state store under its flow (the job's name), so the circuit breaker behind their schedules
counts it, and a person is told; the failure that opens the breaker says so in one alert."""

from __future__ import annotations

import dagster as dg

from assets.erp_to_eam_jobs import asset_master_sync, maintenance_stock_sync
from resources.alerts import Alert, AlertResource
from resources.state import SyncStateResource
from resources.state.breaker import breaker_state
from resources.trigger_settings import breaker_threshold
from sensors.run_failures import PARTITION_TAG, failure_message, record_failure


@dg.run_failure_sensor(
    name="erp_to_eam_failure_sensor",
    monitored_jobs=[maintenance_stock_sync, asset_master_sync],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records failed stock and asset master runs per flow and site, alerts, opens the breaker.",
)
def erp_to_eam_failure_sensor(
    context: dg.RunFailureSensorContext, sync_state: SyncStateResource, alerts: AlertResource
) -> None:
    run = context.dagster_run
    flow, site = run.job_name, run.tags.get(PARTITION_TAG, "")
    store = sync_state.store()
    status = record_failure(store, flow, site, run.run_id)
    breaker = breaker_state(store, flow, breaker_threshold())
    just_opened = status == "failed" and breaker.failures == breaker.threshold
    title = (
        f"Circuit breaker OPEN for {flow}: {breaker.failures} consecutive failed runs, schedule paused"
        if just_opened
        else f"{flow} run failed for site {site or '(none)'}"
    )
    alerts.send(
        Alert(
            title=title,
            flow=flow,
            partition=site,
            run_id=run.run_id,
            error=failure_message(context),
            correlation_id=run.run_id,
            severity="critical" if just_opened else "error",
        ),
        logger=context.log,
    )
