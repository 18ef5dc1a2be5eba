"""BOM-sync schedules: a six-hourly safety net on business days, and a weekly full sync.

Six-hourly (Mon-Fri 00/06/12/18 in MFG_SYNC_TIMEZONE): skips weekends and the configured holiday calendar,
naming the day; requests runs only for registered assemblies changed in the PLM since their last
successful sync (an assembly never synced counts as changed). Weekly (Sunday 22:00): every registered
assembly, its PLM extract reading everything again (`mfg-sync/full-extract`). Both skip while the flow's
circuit breaker is open.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from assets.jobs import bom_sync
from assets.keys import FULL_EXTRACT_TAG
from assets.partitions import assemblies
from resources.erp.connections import DEFAULT_CONNECTION, disabled_reason, load_connections
from resources.plm import PLMClient, PLMResource
from resources.state import StateStore, SyncStateResource
from resources.state.breaker import breaker_state
from resources.trigger_settings import ScheduleSettings, breaker_threshold
from sync.flows import BOM_FLOW

TRIGGER_TAG = "mfg-sync/trigger"


def changed_assemblies(
    client: PLMClient,
    store: StateStore,
    registered: Iterable[str],
    log: dg.DagsterLogManager | None = None,
    flow: str = BOM_FLOW,
) -> list[str]:
    """Registered assemblies with a PLM change effective at or after their last successful sync started
    (to the ERP connection whose BOM-sync flow is `flow`)."""
    last_ok = {a: store.last_successful_run(flow, a) for a in sorted(set(registered))}
    changed = {a for a, run in last_ok.items() if run is None}
    synced = {a: run.started_at for a, run in last_ok.items() if run is not None}
    if not synced:
        return sorted(changed)
    changes = client.effective_changes_since(min(synced.values()))
    tops = client.tops_by_item((i.number for c in changes for i in c.affected_items), log)
    for change in changes:
        for assembly in set().union(*(tops.get(i.number, set()) for i in change.affected_items)):
            since = synced.get(assembly)
            # a change without an effective time is taken as new: syncing too often beats missing one
            if since is not None and (change.effective_at is None or change.effective_at >= since):
                changed.add(assembly)
    return sorted(changed)


def _business_day_skip(settings: ScheduleSettings, local: datetime) -> dg.SkipReason | None:
    day = local.date()
    if local.weekday() >= 5:
        return dg.SkipReason(f"{day.isoformat()} is a {local.strftime('%A')} ({settings.timezone}): not a business day")
    holiday = settings.holiday_name(day)
    if holiday:
        calendar = "-".join(filter(None, (settings.holiday_country, settings.holiday_subdiv))) or "configured"
        return dg.SkipReason(f"{day.isoformat()} is a holiday ({calendar} calendar): {holiday}")
    return None


def disabled_skip(store: StateStore, connection: str) -> dg.SkipReason | None:
    """A SkipReason naming the ERP connection when it is disabled (`mfg-sync connections disable`)."""
    reason = disabled_reason(load_connections()[connection], store.connection_switches())
    return dg.SkipReason(reason) if reason else None


def build_bom_sync_schedule(
    settings: ScheduleSettings | None = None, job=bom_sync, connection: str = DEFAULT_CONNECTION
) -> dg.ScheduleDefinition:
    """The six-hourly business-day schedule for `settings` (default: the environment's) of the BOM-sync job
    of one ERP connection (default: `bom_sync`, the `sap` connection)."""
    settings = settings or ScheduleSettings.from_env()
    flow = job.name

    @dg.schedule(
        name=f"{flow}_business_hours",
        job=job,
        cron_schedule=settings.cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every six hours on business days: {flow} of each assembly changed since its last success.",
    )
    def bom_sync_business_hours(
        context: dg.ScheduleEvaluationContext, plm: PLMResource, sync_state: SyncStateResource
    ) -> list[dg.RunRequest] | dg.SkipReason:
        store = sync_state.store()
        local = context.scheduled_execution_time.astimezone(ZoneInfo(settings.timezone))
        skip = disabled_skip(store, connection) or _business_day_skip(settings, local)
        if skip:
            return skip
        breaker = breaker_state(store, flow, breaker_threshold())
        if breaker.is_open:
            return dg.SkipReason(breaker.reason())
        registered = context.instance.get_dynamic_partitions(assemblies.name)
        with plm.client(logger=context.log) as client:
            changed = changed_assemblies(client, store, registered, context.log, flow)
        if not changed:
            return dg.SkipReason(f"none of {len(registered)} assemblies changed since its last successful sync")
        stamp = local.isoformat(timespec="minutes")
        return [
            dg.RunRequest(partition_key=a, run_key=f"scheduled:{a}:{stamp}", tags={TRIGGER_TAG: "schedule"})
            for a in changed
        ]

    return bom_sync_business_hours


def build_weekly_full_sync(
    settings: ScheduleSettings | None = None, job=bom_sync, connection: str = DEFAULT_CONNECTION
) -> dg.ScheduleDefinition:
    """The weekly full sync of every registered assembly (a quiet hour, Sunday 22:00 by default) to one ERP
    connection (default: `bom_sync`, the `sap` connection)."""
    settings = settings or ScheduleSettings.from_env()
    flow = job.name

    @dg.schedule(
        name=f"{flow}_weekly_full",
        job=job,
        cron_schedule=settings.full_sync_cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Weekly {flow} of every registered assembly, changed or not, reading the PLM in full.",
    )
    def bom_sync_weekly_full(
        context: dg.ScheduleEvaluationContext, sync_state: SyncStateResource
    ) -> list[dg.RunRequest] | dg.SkipReason:
        skip = disabled_skip(sync_state.store(), connection)
        if skip:
            return skip
        breaker = breaker_state(sync_state.store(), flow, breaker_threshold())
        if breaker.is_open:
            return dg.SkipReason(breaker.reason())
        registered = sorted(context.instance.get_dynamic_partitions(assemblies.name))
        if not registered:
            return dg.SkipReason("no assemblies registered yet")
        stamp = context.scheduled_execution_time.astimezone(ZoneInfo(settings.timezone)).date().isoformat()
        return [
            dg.RunRequest(
                partition_key=a, run_key=f"weekly:{a}:{stamp}", tags={TRIGGER_TAG: "weekly", FULL_EXTRACT_TAG: "true"}
            )
            for a in registered
        ]

    return bom_sync_weekly_full


bom_sync_business_hours = build_bom_sync_schedule()
bom_sync_weekly_full = build_weekly_full_sync()
