"""The stock (hourly) and asset master (daily) schedules: a run per registered site, keyed by site and
tick; none while the flow's circuit breaker is open."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.partitions import sites
from resources.state import SyncStateResource
from resources.state.breaker import reset_breaker
from resources.trigger_settings import ScheduleSettings
from schedules.erp_to_eam_schedules import build_asset_master_schedule, build_stock_schedule
from sync.flows import ASSET_MASTER_FLOW, STOCK_FLOW

TICK = datetime(2025, 3, 11, 4, 0, tzinfo=ZoneInfo("UTC"))
SETTINGS = ScheduleSettings(timezone="UTC")


@pytest.fixture(scope="module")
def sync_state(tmp_path_factory) -> SyncStateResource:
    """One store for the module (migrating one costs seconds); the breaker test closes what it opens."""
    resource = SyncStateResource(url=f"sqlite:///{tmp_path_factory.mktemp('state') / 'state.db'}")
    resource.store().upgrade()
    return resource


def tick(schedule: dg.ScheduleDefinition, instance: dg.DagsterInstance, sync_state: SyncStateResource):
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=TICK, resources={"sync_state": sync_state}
    ) as context:
        return schedule(context)


@pytest.mark.parametrize("build", [build_stock_schedule, build_asset_master_schedule])
def test_each_registered_site_gets_one_run_keyed_by_site_and_tick(build, instance, sync_state):
    instance.add_dynamic_partitions(sites.name, ["P1000", "P2000"])
    requests = tick(build(SETTINGS), instance, sync_state)
    assert [r.partition_key for r in requests] == ["P1000", "P2000"]
    assert len({r.run_key for r in requests}) == 2 and all("2025-03-11T04:00" in r.run_key for r in requests)


@pytest.mark.parametrize(
    ("build", "flow"), [(build_stock_schedule, STOCK_FLOW), (build_asset_master_schedule, ASSET_MASTER_FLOW)]
)
def test_an_open_breaker_skips_the_tick_naming_the_flow(build, flow, instance, sync_state):
    instance.add_dynamic_partitions(sites.name, ["P1000"])
    store = sync_state.store()
    for n in range(3):
        store.finish_run(store.start_run(flow, "P1000", f"run-{n}"), "failed", reason="EAM down")
    result = tick(build(SETTINGS), instance, sync_state)
    assert isinstance(result, dg.SkipReason) and flow in result.skip_message
    reset_breaker(store, flow)
