"""ERP -> EAM schedules: stock to balances hourly, the asset master daily, for every registered site.

Each skips while its flow's circuit breaker is open (as the BOM schedules do), and keys its runs by site
and time, so a tick evaluated twice requests nothing twice.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import dagster as dg

from assets.erp_to_eam_jobs import asset_master_sync, maintenance_stock_sync
from assets.partitions import sites
from resources.state import SyncStateResource
from resources.state.breaker import breaker_state
from resources.trigger_settings import ScheduleSettings, breaker_threshold
from sync.flows import ASSET_MASTER_FLOW, STOCK_FLOW

TRIGGER_TAG = "mfg-sync/trigger"
STOCK_CRON = "15 * * * *"  # hourly, a quarter past: off the top of the hour the postings and BOM runs share
ASSET_MASTER_CRON = "0 4 * * *"  # daily 04:00 local: before the first shift plans its work orders


def site_requests(
    context: dg.ScheduleEvaluationContext, store_resource: SyncStateResource, flow: str, timezone: str
) -> list[dg.RunRequest] | dg.SkipReason:
    """One run per registered site, unless the flow's breaker is open or no site is registered."""
    breaker = breaker_state(store_resource.store(), flow, breaker_threshold())
    if breaker.is_open:
        return dg.SkipReason(breaker.reason())
    registered = sorted(context.instance.get_dynamic_partitions(sites.name))
    if not registered:
        return dg.SkipReason("no EAM sites registered yet")
    stamp = context.scheduled_execution_time.astimezone(ZoneInfo(timezone)).isoformat(timespec="minutes")
    return [
        dg.RunRequest(partition_key=s, run_key=f"{flow}:{s}:{stamp}", tags={TRIGGER_TAG: "schedule"})
        for s in registered
    ]


def build_stock_schedule(settings: ScheduleSettings | None = None) -> dg.ScheduleDefinition:
    timezone = (settings or ScheduleSettings.from_env()).timezone

    @dg.schedule(
        name="maintenance_stock_hourly",
        job=maintenance_stock_sync,
        cron_schedule=STOCK_CRON,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Hourly: ERP stock -> EAM balances of every registered site, unless the breaker is open.",
    )
    def maintenance_stock_hourly(context: dg.ScheduleEvaluationContext, sync_state: SyncStateResource):
        return site_requests(context, sync_state, STOCK_FLOW, timezone)

    return maintenance_stock_hourly


def build_asset_master_schedule(settings: ScheduleSettings | None = None) -> dg.ScheduleDefinition:
    timezone = (settings or ScheduleSettings.from_env()).timezone

    @dg.schedule(
        name="asset_master_daily",
        job=asset_master_sync,
        cron_schedule=ASSET_MASTER_CRON,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Daily: ERP equipment <-> EAM assets of every registered site, unless the breaker is open.",
    )
    def asset_master_daily(context: dg.ScheduleEvaluationContext, sync_state: SyncStateResource):
        return site_requests(context, sync_state, ASSET_MASTER_FLOW, timezone)

    return asset_master_daily


maintenance_stock_hourly = build_stock_schedule()
asset_master_daily = build_asset_master_schedule()
