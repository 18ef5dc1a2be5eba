"""Shop-floor schedule: released ERP production orders to the MES every 15 minutes.

Completions come back by the MES's webhook (`mes_completion_sensor`), so only the orders job is scheduled:
a production planner's release reaches the shop floor within a quarter of an hour without anyone asking.
The tick skips while the shop-floor flow's circuit breaker is open and keys its run by the tick's time,
so a tick evaluated twice requests nothing twice.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import dagster as dg

from assets.shop_floor_jobs import shop_floor_orders
from assets.shop_floor_state import SHOP_FLOOR_FLOW
from resources.state import SyncStateResource
from resources.state.breaker import breaker_state
from resources.trigger_settings import ScheduleSettings, breaker_threshold

TRIGGER_TAG = "mfg-sync/trigger"
ORDERS_CRON = "*/15 * * * *"  # shifts run round the clock; the delta makes an idle tick a few reads


def build_shop_floor_orders_schedule(settings: ScheduleSettings | None = None) -> dg.ScheduleDefinition:
    timezone = (settings or ScheduleSettings.from_env()).timezone

    @dg.schedule(
        name="shop_floor_orders_every_15_minutes",
        job=shop_floor_orders,
        cron_schedule=ORDERS_CRON,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every 15 minutes: released ERP production orders -> MES product orders, unless the "
        "shop-floor breaker is open.",
    )
    def shop_floor_orders_every_15_minutes(context: dg.ScheduleEvaluationContext, sync_state: SyncStateResource):
        breaker = breaker_state(sync_state.store(), SHOP_FLOOR_FLOW, breaker_threshold())
        if breaker.is_open:
            return dg.SkipReason(breaker.reason())
        stamp = context.scheduled_execution_time.astimezone(ZoneInfo(timezone)).isoformat(timespec="minutes")
        return dg.RunRequest(run_key=f"{SHOP_FLOOR_FLOW}:orders:{stamp}", tags={TRIGGER_TAG: "schedule"})

    return shop_floor_orders_every_15_minutes


shop_floor_orders_every_15_minutes = build_shop_floor_orders_schedule()
