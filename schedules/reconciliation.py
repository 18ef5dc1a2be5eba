"""The daily reconciliation: PLM vs ERP for every assembly, early in the day, before people read reports."""

import os

import dagster as dg

from assets.jobs import reconciliation
from resources.trigger_settings import ScheduleSettings

CRON_ENV = "MFG_SYNC_RECONCILIATION_CRON"
DEFAULT_CRON = "30 5 * * *"  # 05:30 local: after the night, before the first shift opens the report


def build_reconciliation_schedule(cron: str | None = None, timezone: str | None = None) -> dg.ScheduleDefinition:
    """Daily by default; `MFG_SYNC_RECONCILIATION_CRON` and `MFG_SYNC_TIMEZONE` move it."""
    return dg.ScheduleDefinition(
        name="reconciliation_daily",
        job=reconciliation,
        cron_schedule=cron or os.environ.get(CRON_ENV, "").strip() or DEFAULT_CRON,
        execution_timezone=timezone or ScheduleSettings.from_env().timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Reconcile PLM and ERP for every registered assembly; report under $MFG_SYNC_DATA_DIR/reports.",
    )


reconciliation_daily = build_reconciliation_schedule()
