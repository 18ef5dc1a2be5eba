"""ERP stock becomes the EAM's current balances as counted adjustments, through the real assets and over
real HTTP; an EAM issue not yet posted to the ERP is counted in, never overwritten."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.maintenance.erp_to_eam_harness import eam_balances, erp_stock, stock_sync, writes
from tests.maintenance.maintenance_harness import MaintenanceHarness, maintenance_harness


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
