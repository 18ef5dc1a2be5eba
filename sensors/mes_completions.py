"""`mes_completion_sensor`: completed MES product orders (webhook drops) -> a `shop_floor_completions` run.

The drops stay unprocessed until the run's `erp/confirmations` has confirmed them (a failed run leaves them
for the next); the run key names the newest drop, so a tick that sees the same drops requests nothing new,
and the cursor keeps the newest drop a run was requested for.
"""

from __future__ import annotations

import dagster as dg

from assets.shop_floor_jobs import shop_floor_completions
from assets.shop_floor_state import MES_SOURCE
from resources.state import SyncStateResource

DROPS_PER_TICK = 500


@dg.sensor(
    name="mes_completion_sensor",
    job=shop_floor_completions,
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Completed MES product orders (signed webhook drops) -> ERP confirmations and goods receipts.",
)
def mes_completion_sensor(
    context: dg.SensorEvaluationContext, sync_state: SyncStateResource
) -> dg.SensorResult | dg.SkipReason:
    cursor = int(context.cursor or 0)
    drops = sync_state.store().webhook_drops_after(
        cursor, source=MES_SOURCE, limit=DROPS_PER_TICK, unprocessed_only=True
    )
    if not drops:
        return dg.SkipReason(f"no unprocessed MES completion drops after drop {cursor}")
    newest = drops[-1].id
    context.log.info(f"{len(drops)} MES completion drop(s) {drops[0].id}..{newest} -> one shop_floor_completions run")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"mes-drops-{newest}", tags={"mfg-sync/trigger": "mes_completion_sensor"})],
        cursor=str(newest),
    )
