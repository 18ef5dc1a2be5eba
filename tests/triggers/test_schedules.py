"""The six-hourly business-day schedule and the weekly full sync, ticked at chosen times against the sandbox PLM."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.partitions import assemblies
from resources.plm import PLMResource
from resources.state import SyncStateResource
from resources.trigger_settings import ScheduleSettings, TriggerSettingsError
from schedules.bom_schedules import build_bom_sync_schedule, build_weekly_full_sync
from tests.triggers.support import run_bom_sync_job

BERLIN = ZoneInfo("Europe/Berlin")
SETTINGS = ScheduleSettings(
    timezone="Europe/Berlin",
    holiday_country="DE",
    holiday_subdiv="BY",
    extra_holidays={date(2025, 3, 14): "Plant shutdown"},
)


def tick(schedule, instance, harness, at: datetime):
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=at, resources={"plm": harness.plm(), "sync_state": harness.state()}
    ) as context:
        return schedule(context)


def tick_offline(schedule, instance, tmp_path, at: datetime):
    """A tick that must decide before asking the PLM anything (the PLM URL points nowhere)."""
    resources = {
        "plm": PLMResource(url="http://127.0.0.1:9"),
        "sync_state": SyncStateResource(url=f"sqlite:///{tmp_path / 'state.db'}"),
    }
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=at, resources=resources) as context:
        return schedule(context)


def test_it_ticks_every_six_hours_on_weekdays_in_the_configured_zone():
    schedule = build_bom_sync_schedule(SETTINGS)
    assert schedule.cron_schedule == "0 0,6,12,18 * * 1-5"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert build_weekly_full_sync(SETTINGS).cron_schedule == "0 22 * * 0"


def test_a_tuesday_0600_tick_requests_the_registered_assemblies_never_synced(harness, instance):
    instance.add_dynamic_partitions(assemblies.name, ["ASM-10004"])
    result = tick(build_bom_sync_schedule(SETTINGS), instance, harness, datetime(2025, 3, 11, 6, 0, tzinfo=BERLIN))
    assert [(r.partition_key, r.run_key) for r in result] == [
        ("ASM-10004", "scheduled:ASM-10004:2025-03-11T06:00+01:00")
    ]


def test_a_saturday_is_skipped(tmp_path, instance):
    result = tick_offline(
        build_bom_sync_schedule(SETTINGS), instance, tmp_path, datetime(2025, 3, 15, 6, 0, tzinfo=BERLIN)
    )
    assert isinstance(result, dg.SkipReason)
    assert "2025-03-15 is a Saturday" in result.skip_message


@pytest.mark.parametrize("day, name", [(date(2025, 1, 6), "Epiphany"), (date(2025, 3, 14), "Plant shutdown")])
def test_a_configured_holiday_is_skipped_with_its_name(tmp_path, instance, day, name):
    at = datetime(day.year, day.month, day.day, 12, 0, tzinfo=BERLIN)
    result = tick_offline(build_bom_sync_schedule(SETTINGS), instance, tmp_path, at)
    assert isinstance(result, dg.SkipReason)
    assert name in result.skip_message and day.isoformat() in result.skip_message


def test_a_scheduled_tick_requests_only_assemblies_changed_since_their_last_success(harness, instance):
    schedule, tuesday = build_bom_sync_schedule(SETTINGS), datetime(2025, 3, 11, 6, 0, tzinfo=BERLIN)
    assert run_bom_sync_job(harness.resources(), instance, "ASM-10004").success
    instance.add_dynamic_partitions(assemblies.name, ["ASM-10001"])  # registered, never synced

    before_change = tick(schedule, instance, harness, tuesday)
    harness.release_bom_change("ASM-10004", {10: Decimal("3")})
    after_change = tick(schedule, instance, harness, tuesday)

    assert [r.partition_key for r in before_change] == ["ASM-10001"]
    assert [r.partition_key for r in after_change] == ["ASM-10001", "ASM-10004"]


def test_the_weekly_full_sync_requests_every_registered_assembly(tmp_path, instance):
    instance.add_dynamic_partitions(assemblies.name, ["ASM-10002", "ASM-10004"])
    result = tick_offline(
        build_weekly_full_sync(SETTINGS), instance, tmp_path, datetime(2025, 3, 16, 22, 0, tzinfo=BERLIN)
    )
    assert [(r.partition_key, r.run_key) for r in result] == [
        ("ASM-10002", "weekly:ASM-10002:2025-03-16"),
        ("ASM-10004", "weekly:ASM-10004:2025-03-16"),
    ]
    assert all(r.tags["mfg-sync/full-extract"] == "true" for r in result)  # the PLM is read in full weekly


def test_schedule_settings_come_from_the_environment_and_bad_ones_are_named():
    settings = ScheduleSettings.from_env(
        {
            "MFG_SYNC_TIMEZONE": "America/Chicago",
            "MFG_SYNC_HOLIDAY_COUNTRY": "us",
            "MFG_SYNC_EXTRA_HOLIDAYS": "2025-12-26=Plant shutdown",
        }
    )
    assert (settings.timezone, settings.holiday_country) == ("America/Chicago", "US")
    assert settings.holiday_name(date(2025, 7, 4)) == "Independence Day"
    assert settings.holiday_name(date(2025, 12, 26)) == "Plant shutdown"
    with pytest.raises(TriggerSettingsError, match="MFG_SYNC_TIMEZONE"):
        ScheduleSettings.from_env({"MFG_SYNC_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(TriggerSettingsError, match="MFG_SYNC_EXTRA_HOLIDAYS"):
        ScheduleSettings.from_env({"MFG_SYNC_EXTRA_HOLIDAYS": "26.12.2025"})
