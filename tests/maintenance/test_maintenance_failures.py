"""A maintenance run that fails outright (the EAM is down) counts for the breaker like a BOM sync, but alerts
only when it opens the breaker: plant-critical records alert from the apply step, everything else waits."""

from __future__ import annotations

import dagster as dg

import assets
from assets.jobs import maintenance_sync
from resources.alerts import AlertResource
from resources.state.breaker import breaker_state
from sensors.run_failures import bom_sync_failure_sensor
from sync.flows import MAINTENANCE_FLOW
from tests.maintenance.maintenance_harness import SITE, maintenance_harness
from tests.triggers.support import AlertInbox, evaluate_failure_sensor


def test_three_failed_maintenance_runs_open_the_breaker_with_one_alert(tmp_path):
    inbox = AlertInbox()
    with maintenance_harness(tmp_path) as maint, inbox.serving() as url:
        found = assets.definitions()
        defs = dg.Definitions(assets=found.assets, jobs=[maintenance_sync], resources=maint.resources())
        job = defs.resolve_job_def(maintenance_sync.name)
        maint.systems.instance.add_dynamic_partitions("sites", [SITE])
        maint.systems.faults("eam", outage=True)
        for _ in range(3):
            result = job.execute_in_process(partition_key=SITE, instance=maint.systems.instance, raise_on_error=False)
            assert not result.success
            resources = {"sync_state": maint.systems.state(), "alerts": AlertResource(webhook_url=url)}
            evaluate_failure_sensor(bom_sync_failure_sensor, result, maint.systems.instance, resources)
        maint.systems.faults("eam")
        store = maint.systems.state().store()
        assert breaker_state(store, MAINTENANCE_FLOW, 3).is_open
        [alert] = inbox.messages
        assert "Circuit breaker OPEN for maintenance_sync" in alert["text"]
