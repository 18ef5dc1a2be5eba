"""The incremental EAM extracts: rowstamp cursors kept in the state store, committed only after the apply."""

from __future__ import annotations

from decimal import Decimal

import pytest

from resources.eam.client import TRANSACTIONS, WORK_ORDER
from tests.maintenance.maintenance_harness import MaintenanceHarness, maintenance_harness


@pytest.fixture
def maint(tmp_path) -> MaintenanceHarness:
    with maintenance_harness(tmp_path) as harness:
        yield harness


def test_each_object_structure_advances_its_own_cursor_in_the_state_store(maint):
    before = {s: maint.cursor(s) for s in (WORK_ORDER, TRANSACTIONS)}
    part, number = maint.spare_parts(1)[0], maint.new_work_order({maint.spare_parts(1)[0]: Decimal(9)})
    maint.new_work_order({part: Decimal(1)})  # rows enough to pass the go-live window
    assert maint.sync().success
    after_work_orders = {s: maint.cursor(s) for s in (WORK_ORDER, TRANSACTIONS)}
    for _ in range(4):
        maint.issue(number, part, Decimal(1))
    assert maint.sync().success
    assert after_work_orders[WORK_ORDER] > before[WORK_ORDER]
    assert after_work_orders[TRANSACTIONS] == before[TRANSACTIONS]
    assert maint.cursor(TRANSACTIONS) == max(t.rowstamp for t in maint.transactions(number))


def test_an_issue_made_before_the_sync_saw_the_approval_is_posted_after_the_reservation_in_the_same_run(maint):
    [part] = maint.spare_parts(1)
    number = maint.new_work_order({part: Decimal(2)})
    maint.issue(number, part, Decimal(1))
    assert maint.sync().success
    assert [mark["state"] for mark in maint.postings().values()] == ["posted"]
    assert maint.reservation(number).items[0].withdrawn_quantity == Decimal(1)


def test_a_transaction_whose_work_order_has_no_reservation_keeps_the_cursor_below_it(maint):
    [part] = maint.spare_parts(1)
    number = maint.new_work_order({part: Decimal(2)})
    maint.systems.faults("erp", error_rate=1.0, error_status=400)  # the reservation cannot be created
    maint.issue(number, part, Decimal(1))
    maint.sync()
    maint.systems.faults("erp")
    [txn] = maint.transactions(number)
    assert maint.postings() == {} and maint.cursor(TRANSACTIONS) < txn.rowstamp
    assert maint.sync().success  # the next run reserves, then reads the held transaction again and posts it
    assert [mark["state"] for mark in maint.postings().values()] == ["posted"]
