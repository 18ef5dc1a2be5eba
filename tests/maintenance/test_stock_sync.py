"""ERP stock becomes the EAM's current balances as counted adjustments, through the real assets and over
real HTTP; an EAM issue not yet posted to the ERP is counted in, never overwritten."""

from __future__ import annotations

from decimal import Decimal

import dagster as dg
import pytest

import assets
from assets.erp_to_eam_jobs import maintenance_stock_sync
from assets.partitions import sites
from resources.alerts import AlertResource
from resources.state.breaker import breaker_state, reset_breaker
from schedules.erp_to_eam_schedules import build_stock_schedule
from sensors.erp_to_eam_failures import erp_to_eam_failure_sensor
from sync.flows import STOCK_FLOW
from tests.maintenance.erp_to_eam_harness import eam_balances, erp_stock, stock_sync, writes
from tests.maintenance.maintenance_harness import MaintenanceHarness, maintenance_harness
from tests.triggers.support import evaluate_failure_sensor


@pytest.fixture(scope="module")
def maint(tmp_path_factory) -> MaintenanceHarness:
    with maintenance_harness(tmp_path_factory.mktemp("stock")) as harness:
        yield harness


def agreeing(maint: MaintenanceHarness) -> dict:
    """ERP stock vs EAM balance of every item both sides hold in a mapped storeroom."""
    stock, balances = erp_stock(maint), eam_balances(maint)
    return {key: (stock[key], balances[key]) for key in stock if key in balances}


def test_eam_balances_equal_erp_stock_after_the_stock_flow(maint):
    before = agreeing(maint)
    assert any(erp != eam for erp, eam in before.values())  # the seeded counts differ
    maint.systems.reset_stats("eam", "erp")
    assert stock_sync(maint).success
    after = agreeing(maint)
    assert all(erp == eam for erp, eam in after.values()), after
    assert writes(maint) == {"eam": sum(erp != eam for erp, eam in before.values()), "erp": 0}


def test_a_rerun_writes_nothing(maint):
    assert stock_sync(maint).success
    maint.systems.reset_stats("eam", "erp")
    result = stock_sync(maint)
    assert result.success
    assert writes(maint) == {"eam": 0, "erp": 0}
    assert result.asset_materializations_for_node("eam__balances")[0].metadata["adjusted"].value == 0


def test_an_issue_not_yet_posted_to_the_erp_is_not_overwritten(maint):
    assert stock_sync(maint).success
    [part] = maint.spare_parts(1)
    number = maint.new_work_order({part: Decimal(5)}, status="APPR")
    maint.issue(number, part, Decimal(3))  # issued in the EAM; the goods issue is not posted yet
    erp_before, eam_after_issue = erp_stock(maint)[("CENTRAL", part)], eam_balances(maint)[("CENTRAL", part)]
    assert eam_after_issue == erp_before - 3
    maint.systems.reset_stats("eam")
    assert stock_sync(maint).success
    assert eam_balances(maint)[("CENTRAL", part)] == erp_before - 3  # the in-flight issue is kept
    assert writes(maint)["eam"] == 0
    assert maint.sync().success  # the maintenance sync posts the goods issue: both sides agree
    assert erp_stock(maint)[("CENTRAL", part)] == erp_before - 3
    maint.systems.reset_stats("eam")
    assert stock_sync(maint).success
    assert writes(maint)["eam"] == 0


def test_a_balance_changed_directly_in_the_eam_is_counted_back_to_the_erp_figure(maint):
    assert stock_sync(maint).success
    [part] = maint.spare_parts(1)
    with maint.eam_client() as client:
        [balance] = [b for b in client.inventory_balances(f'itemnum="{part}" and location="CENTRAL"')]
        client.adjust_balance(
            client.href("mxapiinvbal", part, "CENTRAL", balance.bin, "P1000"), balance.current_balance + 7
        )
    maint.systems.reset_stats("eam")
    assert stock_sync(maint).success
    assert eam_balances(maint)[("CENTRAL", part)] == erp_stock(maint)[("CENTRAL", part)]
    assert writes(maint)["eam"] == 1


def test_an_adjustment_whose_answer_was_lost_is_not_applied_twice(maint):
    assert stock_sync(maint).success
    [part] = maint.spare_parts(1)
    with maint.eam_client() as client:
        [balance] = [b for b in client.inventory_balances(f'itemnum="{part}" and location="CENTRAL"')]
        client.adjust_balance(client.href("mxapiinvbal", part, "CENTRAL", balance.bin, "P1000"), 1)
    maint.systems.reset_stats("eam")
    maint.systems.faults("eam", drop_after_commit_next=1)  # Maximo commits the count, the answer never comes
    try:
        result = stock_sync(maint)
    finally:
        maint.systems.faults("eam")
    assert result.success
    assert eam_balances(maint)[("CENTRAL", part)] == erp_stock(maint)[("CENTRAL", part)]
    assert writes(maint)["eam"] == 1  # the retry under the same transactionid was refused, not applied
    [outcome] = result.asset_materializations_for_node("eam__balances")[0].metadata["balances"].value.records
    assert outcome.data["status"] == "already adjusted"


def test_three_failed_runs_open_the_breaker_and_the_hourly_schedule_skips(maint):
    instance, sync_state = maint.systems.instance, maint.systems.state()
    found = assets.definitions()
    job = dg.Definitions(
        assets=found.assets, jobs=[maintenance_stock_sync], resources=maint.resources()
    ).resolve_job_def(STOCK_FLOW)
    instance.add_dynamic_partitions(sites.name, ["P1000"])
    maint.systems.faults("eam", outage=True)
    try:
        for _ in range(3):
            result = job.execute_in_process(partition_key="P1000", instance=instance, raise_on_error=False)
            assert not result.success
            resources = {"sync_state": sync_state, "alerts": AlertResource()}
            evaluate_failure_sensor(erp_to_eam_failure_sensor, result, instance, resources)
    finally:
        maint.systems.faults("eam")
    store = sync_state.store()
    assert breaker_state(store, STOCK_FLOW, 3).is_open
    with dg.build_schedule_context(instance=instance, resources={"sync_state": sync_state}) as context:
        assert isinstance(build_stock_schedule()(context), dg.SkipReason)
    reset_breaker(store, STOCK_FLOW)
