"""The shop-floor orders schedule: one run per tick, keyed by the tick; none while the breaker is open."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.shop_floor_state import SHOP_FLOOR_FLOW
from resources.state import SyncStateResource
from resources.state.breaker import reset_breaker
from resources.trigger_settings import ScheduleSettings
from schedules.shop_floor import build_shop_floor_orders_schedule

TICK = datetime(2025, 3, 11, 6, 15, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(scope="module")
def sync_state(tmp_path_factory) -> SyncStateResource:
    resource = SyncStateResource(url=f"sqlite:///{tmp_path_factory.mktemp('state') / 'state.db'}")
    resource.store().upgrade()
    return resource


def tick(instance: dg.DagsterInstance, sync_state: SyncStateResource):
    schedule = build_shop_floor_orders_schedule(ScheduleSettings(timezone="UTC"))
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=TICK, resources={"sync_state": sync_state}
    ) as context:
        return schedule(context)


def test_a_tick_requests_one_orders_run_keyed_by_its_time(instance, sync_state):
    request = tick(instance, sync_state)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == "shop_floor:orders:2025-03-11T06:15+00:00"
    assert request.tags["mfg-sync/trigger"] == "schedule"


def test_an_open_breaker_skips_the_tick_naming_the_flow(instance, sync_state):
    store = sync_state.store()
    for n in range(3):
        store.finish_run(store.start_run(SHOP_FLOOR_FLOW, None, f"run-{n}"), "failed", reason="MES down")
    result = tick(instance, sync_state)
    assert isinstance(result, dg.SkipReason) and SHOP_FLOOR_FLOW in result.skip_message
    reset_breaker(store, SHOP_FLOOR_FLOW)
