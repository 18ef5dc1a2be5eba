"""`condition_event_sensor`: new condition-event drops -> one `condition_sync` run over every pending drop.

The cursor is the last drop id seen; the run key names the drop range, so a tick replayed after a crash
requests nothing new. The run stamps the drops processed (not the sensor): a run that fails leaves them
pending for the next. Drops rejected at ingest (malformed messages) start nothing. Without new drops, work
requests still waiting for approval, their reservation or a requisition get one follow-up run per
`FOLLOW_UP_S` (its run key names the period). The breaker applies.
"""

from __future__ import annotations

import time

import dagster as dg

from assets.condition_job import condition_sync
from assets.condition_state import DROP_SOURCE
from resources.state import SyncStateResource
from resources.state.breaker import breaker_state
from resources.state.condition_events import requests
from resources.trigger_settings import breaker_threshold
from sync.flows import CONDITION_FLOW

DROPS_PER_TICK = 5000
FOLLOW_UP_S = 900  # approvals are a planner's, reservations the maintenance flow's: a quarter hour is soon enough


@dg.sensor(
    name="condition_event_sensor",
    job=condition_sync,
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Condition events (MQTT or webhook drops) -> a condition_sync run over the pending ones.",
)
def condition_event_sensor(context: dg.SensorEvaluationContext, sync_state: SyncStateResource):
    store = sync_state.store()
    breaker = breaker_state(store, CONDITION_FLOW, breaker_threshold())
    if breaker.is_open:
        return dg.SkipReason(breaker.reason())
    cursor = int(context.cursor or 0)
    drops = store.webhook_drops_after(cursor, source=DROP_SOURCE, limit=DROPS_PER_TICK)
    if not drops:
        waiting = [k for k, r in requests(store).items() if r.get("event_id") and not r.get("done")]
        if not waiting:
            return dg.SkipReason(f"no condition event drops after drop {cursor}")
        period = int(time.time() // FOLLOW_UP_S)
        tags = {"mfg-sync/trigger": "condition-follow-up"}
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"condition:follow-up:{period}", tags=tags)])
    pending = [d for d in drops if d.processed_at is None]
    if not pending:
        return dg.SensorResult(
            skip_reason=f"drops up to {drops[-1].id} were rejected at ingest", cursor=str(drops[-1].id)
        )
    context.log.info(f"{len(pending)} pending condition event(s), drops {pending[0].id}..{pending[-1].id}")
    request = dg.RunRequest(
        run_key=f"condition:{pending[0].id}-{pending[-1].id}",
        tags={"mfg-sync/trigger": "condition-event", "mfg-sync/drops": f"{pending[0].id}..{pending[-1].id}"},
    )
    return dg.SensorResult(run_requests=[request], cursor=str(drops[-1].id))
