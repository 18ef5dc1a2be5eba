"""Approved EAM work orders become ERP reservations, through the real assets and over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.maintenance.maintenance_harness import MaintenanceHarness, maintenance_harness

RESERVATIONS = "/sap/opu/odata/sap/API_RESERVATION_DOCUMENT_SRV"
HEADERS, ITEMS = f"{RESERVATIONS}/A_ReservationDocumentHeader", f"{RESERVATIONS}/A_ReservationDocumentItem"


@pytest.fixture
def maint(tmp_path) -> MaintenanceHarness:
    with maintenance_harness(tmp_path) as harness:
        yield harness


def approved_order(maint: MaintenanceHarness) -> tuple[str, list[str]]:
    parts = maint.spare_parts(3)
    number = maint.new_work_order(dict(zip(parts, (Decimal(2), Decimal(4), Decimal(1)), strict=True)))
    assert maint.sync().success
    return number, parts


def test_an_approved_work_order_with_three_planned_parts_becomes_one_reservation_with_three_items(maint):
    maint.systems.reset_stats("erp")
    number, parts = approved_order(maint)
    reservation = maint.reservation(number)
    assert (reservation.movement_type, reservation.cost_center) == ("201", "CC4100")
    assert [(i.material, i.quantity, i.storage_location) for i in reservation.items] == [
        (parts[0], Decimal(2), "0001"),
        (parts[1], Decimal(4), "0001"),
        (parts[2], Decimal(1), "0001"),
    ]
    assert maint.erp_calls("POST", HEADERS) == 1


def test_a_work_order_not_yet_approved_gets_no_reservation(maint):
    number = maint.new_work_order({maint.spare_parts(1)[0]: Decimal(1)}, status="WAPPR")
    assert maint.sync().success
    assert maint.link(number) is None


def test_a_changed_planned_quantity_updates_one_item(maint):
    number, _ = approved_order(maint)
    line = maint.planned_lines(number)[1]
    maint.change_planned_quantity(number, line["wpitemid"], Decimal(7))
    maint.systems.reset_stats("erp")
    assert maint.sync().success
    assert [i.quantity for i in maint.reservation(number).items] == [Decimal(2), Decimal(7), Decimal(1)]
    assert (maint.erp_calls("PATCH", ITEMS), maint.erp_writes()) == (1, 1)


def test_a_removed_planned_line_flags_its_item_for_deletion(maint):
    number, _ = approved_order(maint)
    maint.remove_planned_line(number, maint.planned_lines(number)[0]["wpitemid"])
    maint.systems.reset_stats("erp")
    assert maint.sync().success
    assert [i.marked_for_deletion for i in maint.reservation(number).items] == [True, False, False]
    assert maint.erp_writes() == 1


def test_a_cancelled_work_order_retires_its_reservation(maint):
    number, _ = approved_order(maint)
    maint.cancel(number)
    assert maint.sync().success
    assert all(i.marked_for_deletion for i in maint.reservation(number).items)
    assert maint.link(number)["retired"] is True


def test_a_rerun_writes_nothing(maint):
    approved_order(maint)
    maint.systems.reset_stats("erp")
    assert maint.sync().success
    assert maint.erp_writes() == 0


def test_a_reservation_whose_answer_is_lost_after_commit_is_created_once(maint):
    parts = maint.spare_parts(3)
    number = maint.new_work_order({part: Decimal(1) for part in parts})
    maint.systems.faults("erp", drop_after_commit_next=1)
    maint.systems.reset_stats("erp")
    maint.sync()
    maint.systems.faults("erp")
    assert maint.sync().success
    assert maint.erp_calls("POST", HEADERS) == 1 and len(maint.reservation(number).items) == 3
