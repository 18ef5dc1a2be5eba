"""`maintenance_postings_every_15_minutes`: the day's EAM material transactions -> ERP goods issues, every
quarter of an hour (MFG_SYNC_POSTINGS_CRON), behind the maintenance flow's circuit breaker.

Each tick requests the day it falls on (UTC); the first tick after midnight also requests the day before,
so a transaction booked at 23:59 is posted even when the last tick of its day ran before it. The run key is
the day and the tick, so a tick evaluated twice requests one run.
"""

import os
from datetime import UTC, timedelta

import dagster as dg

from assets.maintenance_postings import maintenance_postings
from resources.state import SyncStateResource
from resources.state.breaker import breaker_state
from resources.trigger_settings import breaker_threshold
from sync.flows import MAINTENANCE_FLOW

TRIGGER_TAG = "mfg-sync/trigger"
DEFAULT_POSTINGS_CRON = "*/15 * * * *"


def postings_days(tick_utc_minutes: int, day: str, previous: str) -> list[str]:
    """The days one tick posts: its own, and the previous one on the first tick of a day."""
    return [previous, day] if tick_utc_minutes < 15 else [day]


def build_postings_schedule(cron: str | None = None) -> dg.ScheduleDefinition:
    cron = cron or os.environ.get("MFG_SYNC_POSTINGS_CRON", "").strip() or DEFAULT_POSTINGS_CRON

    @dg.schedule(
        name="maintenance_postings_every_15_minutes",
        job=maintenance_postings,
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every 15 minutes: the day's EAM material transactions -> ERP goods issues, behind the breaker.",
    )
    def maintenance_postings_every_15_minutes(
        context: dg.ScheduleEvaluationContext, sync_state: SyncStateResource
    ) -> list[dg.RunRequest] | dg.SkipReason:
        breaker = breaker_state(sync_state.store(), MAINTENANCE_FLOW, breaker_threshold())
        if breaker.is_open:
            return dg.SkipReason(breaker.reason())
        at = context.scheduled_execution_time.astimezone(UTC)
        wanted = postings_days(
            at.hour * 60 + at.minute, at.date().isoformat(), (at.date() - timedelta(days=1)).isoformat()
        )
        stamp = at.isoformat(timespec="minutes")
        return [
            dg.RunRequest(partition_key=day, run_key=f"postings:{day}:{stamp}", tags={TRIGGER_TAG: "schedule"})
            for day in wanted
        ]

    return maintenance_postings_every_15_minutes


maintenance_postings_schedule = build_postings_schedule()
