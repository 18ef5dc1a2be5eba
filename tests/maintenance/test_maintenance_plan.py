"""The maintenance plans and spec, as pure functions: what a work order or transaction becomes in the ERP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from sync.maintenance_plan import (
    goods_movement,
    link_payload,
    next_cursor,
    plan_reservations,
    reservation_to_create,
)
from sync.maintenance_spec import MaintenanceSpecError, load_maintenance_spec, parse_maintenance_spec
from sync.records import MaterialTransaction, Reservation, ReservationItem, WorkOrder, WorkOrderMaterial

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "eam_to_erp.yaml"


def spec(**reservation):
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    raw["reservation"].update(reservation)
    return parse_maintenance_spec(raw)


def order(status="APPR", asset="P-101") -> WorkOrder:
    return WorkOrder(number="1001", site="P1000", status=status, asset=asset, cost_center="CC4100")


def line(line_id: int, quantity: str = "2", item: str = "PRT-1") -> WorkOrderMaterial:
    return WorkOrderMaterial(
        work_order="1001", site="P1000", line_id=line_id, item=item, quantity=Decimal(quantity), storeroom="CENTRAL"
    )


def linked(*line_ids: int, movement: str = "201") -> dict:
    items = tuple(ReservationItem("PRT-1", Decimal(2), storage_location="0001", item=f"{n:04d}") for n in line_ids)
    account = {"cost_center": "CC4100"} if movement == "201" else {"order": "4000001"}
    return link_payload(Reservation(movement, items, reservation="0000000007", **account), list(line_ids))


def test_the_shipped_spec_loads():
    assert load_maintenance_spec(SHIPPED).storerooms["CENTRAL"].storage_location == "0001"


def test_a_bad_spec_names_its_file_and_field():
    with pytest.raises(MaintenanceSpecError, match=r"eam_to_erp.yaml: field 'storerooms.MAINT'"):
        parse_maintenance_spec(
            {
                "reservation": {"reserve_statuses": ["APPR"], "retire_statuses": ["CAN"]},
                "storerooms": {"MAINT": {"plant": "1000"}},
            }
        )


def test_an_asset_mapped_to_a_maintenance_order_reserves_with_261_against_it():
    [change] = plan_reservations(spec(maintenance_orders_by_asset={"P-101": "4000001"}), [order()], [line(11)], {})
    reservation, line_ids = reservation_to_create(change)
    assert (reservation.movement_type, reservation.order, line_ids) == ("261", "4000001", [11])


def test_an_unmapped_storeroom_is_an_error_naming_the_work_order_line_and_storeroom():
    bad = WorkOrderMaterial(
        work_order="1001", site="P1000", line_id=11, item="PRT-1", quantity=Decimal(1), storeroom="LINE1"
    )
    [change] = plan_reservations(spec(), [order()], [bad], {})
    assert change.op == "error" and "work order P1000/1001 line 11: storeroom 'LINE1'" in change.message


def test_a_line_added_after_the_reservation_is_reported_not_dropped():
    [change] = plan_reservations(spec(), [order()], [line(11), line(12)], {"P1000/1001": linked(11)})
    assert (change.op, change.line_id) == ("error", 12) and "not reserved" in change.message


def test_an_unchanged_work_order_plans_nothing():
    assert plan_reservations(spec(), [order()], [line(11)], {"P1000/1001": linked(11)}) == []


def test_a_return_against_an_order_reservation_is_a_262():
    txn = MaterialTransaction(
        transaction_id=55,
        work_order="1001",
        site="P1000",
        item="PRT-1",
        storeroom="CENTRAL",
        quantity=Decimal(1),
        issue_type="RETURN",
    )
    issue = goods_movement(spec(), txn, linked(11, movement="261"))
    assert (issue.movement_type, issue.order, issue.reservation_item, issue.reference) == (
        "262",
        "4000001",
        "0011",
        "EAM-MT-55",
    )


def test_the_cursor_stays_below_the_first_held_row():
    assert (next_cursor(90, []), next_cursor(90, [70, None, 80])) == (90, 69)
