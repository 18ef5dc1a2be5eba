"""A disabled connection's schedules and sensors skip with the reason, before asking any system anything."""

from datetime import UTC, datetime

import dagster as dg

from resources.alerts import AlertResource
from resources.plm import PLMResource
from resources.state import SyncStateResource
from schedules.bom_schedules import build_bom_sync_schedule, build_weekly_full_sync
from sensors.plm_changes import plm_change_sensor

NOWHERE = PLMResource(url="http://127.0.0.1:9")  # any request would fail: a skip must not send one
REASON = "ERP connection 'sap' is disabled (`mfg-sync connections enable sap` turns it back on)"
TUESDAY_0600 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def disabled_sap(tmp_path) -> SyncStateResource:
    state = SyncStateResource(url=f"sqlite:///{tmp_path / 'state.db'}")
    state.store().set_connection_enabled("sap", False)
    return state


def test_the_schedules_of_a_disabled_connection_skip_naming_it(tmp_path):
    state = disabled_sap(tmp_path)
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(
            instance=instance, scheduled_execution_time=TUESDAY_0600, resources={"plm": NOWHERE, "sync_state": state}
        ) as context,
    ):
        six_hourly = build_bom_sync_schedule()(context)
        weekly = build_weekly_full_sync()(context)

    assert six_hourly.skip_message == REASON
    assert weekly.skip_message == REASON


def test_the_change_sensor_of_a_disabled_connection_skips_naming_it(tmp_path):
    state = disabled_sap(tmp_path)
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(
            instance=instance, resources={"plm": NOWHERE, "sync_state": state, "alerts": AlertResource()}
        ) as context,
    ):
        result = plm_change_sensor(context)

    assert result.skip_message == REASON
