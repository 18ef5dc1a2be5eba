"""EAM material issues and returns become ERP goods issues and reversals exactly once, through the real
assets and over real HTTP (also when the ERP commits a posting and the answer is lost)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.records import GoodsIssue
from tests.maintenance.maintenance_harness import MaintenanceHarness, maintenance_harness
from tests.validation.support import check

POSTINGS = "/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader"


@pytest.fixture
def maint(tmp_path) -> MaintenanceHarness:
    with maintenance_harness(tmp_path) as harness:
        yield harness


def reserved_order(maint: MaintenanceHarness, quantity: Decimal = Decimal(12)) -> tuple[str, str]:
    """An approved work order reserving `quantity` of one spare part, synced to the ERP."""
    [part] = maint.spare_parts(1)
    number = maint.new_work_order({part: quantity})
    assert maint.sync().success
    return number, part


def issue_ten(maint: MaintenanceHarness, number: str, part: str) -> None:
    for _ in range(10):
        maint.issue(number, part, Decimal(1))


def documents(maint: MaintenanceHarness) -> dict[str, object]:
    """Every posting the sync made, by its reference (the EAM transaction id)."""
    marks = maint.postings()
    with maint.systems.erp().client() as erp:
        return erp.maintenance.find_postings(mark["reference"] for mark in marks.values())


def test_ten_issue_transactions_become_ten_goods_issues_against_the_reservation(maint):
    number, part = reserved_order(maint)
    stock_before = maint.stock(part)
    issue_ten(maint, number, part)
    maint.systems.reset_stats("erp")
    assert maint.sync().success
    posted = documents(maint)
    assert len(posted) == 10 and maint.erp_calls("POST", POSTINGS) == 10
    assert {(p.movement_type, p.reservation, p.quantity) for p in posted.values()} == {
        ("201", maint.reservation(number).reservation, Decimal(1))
    }
    assert maint.stock(part) == stock_before - 10
    assert maint.reservation(number).items[0].withdrawn_quantity == Decimal(10)


def test_the_extracts_are_validated_before_they_are_planned(maint):
    number, part = reserved_order(maint)
    maint.issue(number, part, Decimal(2))
    result = maint.sync()
    assert result.success
    for table in ("eam/work_order_materials", "eam/material_transactions"):
        verdict = check(result, table, "eam_pre_sync")
        assert verdict.passed and verdict.metadata["rows_validated"].value >= 1


def test_each_posting_carries_its_eam_transaction_id(maint):
    number, part = reserved_order(maint)
    maint.issue(number, part, Decimal(2))
    assert maint.sync().success
    [(key, mark)] = maint.postings().items()
    assert mark["reference"] == f"EAM-MT-{key}" and mark["state"] == "posted"
    assert documents(maint)[mark["reference"]].document == mark["document"]


def test_a_return_becomes_a_reversal_and_moves_stock_and_withdrawn_quantity_back(maint):
    number, part = reserved_order(maint)
    stock_before = maint.stock(part)
    maint.issue(number, part, Decimal(3))
    assert maint.sync().success
    maint.issue(number, part, Decimal(1), kind="RETURN")
    assert maint.sync().success
    assert sorted(p.movement_type for p in documents(maint).values()) == ["201", "202"]
    assert maint.stock(part) == stock_before - 2
    assert maint.reservation(number).items[0].withdrawn_quantity == Decimal(2)


def test_a_rerun_posts_nothing(maint):
    number, part = reserved_order(maint)
    issue_ten(maint, number, part)
    assert maint.sync().success
    maint.systems.reset_stats("erp")
    assert maint.sync().success
    assert maint.erp_writes() == 0


def test_postings_whose_answers_are_lost_after_commit_are_still_exactly_ten_documents(maint):
    number, part = reserved_order(maint)
    stock_before = maint.stock(part)
    issue_ten(maint, number, part)
    maint.systems.faults("erp", drop_after_commit_next=3)
    maint.systems.reset_stats("erp")
    maint.sync()
    maint.systems.faults("erp")
    assert maint.sync().success  # whatever the first run could not confirm, the second one finds
    assert len(documents(maint)) == 10 and maint.erp_calls("POST", POSTINGS) == 10  # none posted twice
    assert maint.stock(part) == stock_before - 10
    assert maint.reservation(number).items[0].withdrawn_quantity == Decimal(10)


def test_a_posting_committed_by_a_run_that_crashed_before_recording_it_is_not_posted_again(maint):
    number, part = reserved_order(maint)
    maint.issue(number, part, Decimal(1))
    [txn] = maint.transactions(number)
    with maint.systems.erp().client() as erp:  # the crashed run's post: in the ERP, not in the state store
        erp.maintenance.post_goods_movement(
            GoodsIssue(
                reference=f"EAM-MT-{txn.transaction_id}",
                material=part,
                quantity=Decimal(1),
                movement_type="201",
                storage_location="0001",
                cost_center="CC4100",
            )
        )
    maint.systems.reset_stats("erp")
    assert maint.sync().success
    assert maint.erp_calls("POST", POSTINGS) == 0
    assert maint.postings()[str(txn.transaction_id)]["state"] == "posted"
