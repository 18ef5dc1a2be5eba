"""ERPClient.maintenance against the sandbox ERP over real HTTP: reservations, goods movements, stock,
equipment and maintenance orders, exactly-once postings and SAP's typed errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from resources.transport import (
    ClientError,
    NotFoundError,
    PreconditionFailedError,
    ServiceUnavailableError,
    TransientError,
    ValidationError,
)
from sync.records import GoodsIssue, Reservation, ReservationItem
from tests.resources import erp_fixtures
from tests.resources.erp_fixtures import ERPSandbox

erp_sandbox = erp_fixtures.erp_sandbox  # the fixture, shared without a conftest

SPARE_PART = "PRT-200069"  # first preloaded material; 100 EA in 1000/0001, 20 EA in 1000/0002
SEEDED_ORDER = "4000001"
MATDOC = "/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV"
POST_DOCUMENT = f"POST {MATDOC}/A_MaterialDocumentHeader"
FIND_DOCUMENT = f"GET {MATDOC}/A_MaterialDocumentHeader"
POST_CANCEL = f"POST {MATDOC}/Cancel"
POST_RESERVATION = "POST /sap/opu/odata/sap/API_RESERVATION_DOCUMENT_SRV/A_ReservationDocumentHeader"


def issue(reference: str, quantity: str, movement: str = "201", **fields: object) -> GoodsIssue:
    defaults: dict[str, object] = {"storage_location": "0001"}
    if movement in ("201", "202") and "reservation" not in fields:
        defaults["cost_center"] = "4711"
    return GoodsIssue(
        reference=reference,
        material=SPARE_PART,
        quantity=Decimal(quantity),
        movement_type=movement,
        **{**defaults, **fields},
    )


def reservation(quantity: str = "5", movement: str = "201", reference: str = "WO-1001") -> Reservation:
    account = {"cost_center": "4711"} if movement == "201" else {"order": SEEDED_ORDER}
    return Reservation(
        movement_type=movement,
        reference=reference,
        **account,
        items=(ReservationItem(SPARE_PART, Decimal(quantity), storage_location="0001"),),
    )


def stock_of(erp, location: str = "0001") -> Decimal:
    [row] = erp.maintenance.read_stock([SPARE_PART], storage_location=location)
    return row["quantity"]


def calls(erp_sandbox: ERPSandbox, route: str) -> int:
    return erp_sandbox.stats()["calls"].get(route, 0)


# ---- reservations -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("movement", "account"), [("201", ("4711", "")), ("261", ("", SEEDED_ORDER))])
def test_reservation_deep_insert_is_read_back(erp_sandbox: ERPSandbox, movement, account) -> None:
    with erp_sandbox.resource().client() as erp:
        created = erp.maintenance.create_reservation(reservation("4", movement))
        back = erp.maintenance.read_reservation(created.reservation)
    assert back == created
    assert (back.movement_type, back.cost_center, back.order, back.reference) == (movement, *account, "WO-1001")
    [item] = back.items
    assert (item.item, item.material, item.quantity, item.unit, item.withdrawn_quantity) == (
        "0001",
        SPARE_PART,
        Decimal("4.000"),
        "EA",
        Decimal("0.000"),
    )


def test_reservation_with_a_known_reference_is_not_created_twice(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        first = erp.maintenance.create_reservation(reservation())
        second = erp.maintenance.create_reservation(reservation())
    assert second.reservation == first.reservation
    assert calls(erp_sandbox, POST_RESERVATION) == 1


def test_reservation_item_update_and_deletion_flag(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        number = erp.maintenance.create_reservation(reservation("5")).reservation
        updated = erp.maintenance.update_reservation_item(
            number, "1", {"ResvnItmRequiredQtyInBaseUnit": Decimal(8), "StorageLocation": "0002"}
        )
        deleted = erp.maintenance.mark_reservation_item_deleted(number, "1")
    assert (updated.items[0].quantity, updated.items[0].storage_location) == (Decimal("8.000"), "0002")
    assert deleted.items[0].marked_for_deletion is True


# ---- goods movements ----------------------------------------------------------------------------------------


def test_goods_issue_lowers_stock_and_withdrawn_quantity_and_cancel_restores_both(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        number = erp.maintenance.create_reservation(reservation("5")).reservation
        posted = erp.maintenance.post_goods_movement(issue("MX-1", "3", reservation=number, reservation_item="1"))
        assert (stock_of(erp), erp.maintenance.read_reservation(number).items[0].withdrawn_quantity) == (
            Decimal("97.000"),
            Decimal("3.000"),
        )
        reversal = erp.maintenance.cancel_posting(posted.document_year, posted.document)
        assert (stock_of(erp), erp.maintenance.read_reservation(number).items[0].withdrawn_quantity) == (
            Decimal("100.000"),
            Decimal("0.000"),
        )
        assert erp.maintenance.read_posting(posted.document_year, posted.document).cancelled is True
    assert (posted.cost_center, reversal.movement_type, reversal.quantity) == ("4711", "202", Decimal("3.000"))


def test_reversal_202_returns_the_issued_quantity_to_stock(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        erp.maintenance.post_goods_movement(issue("MX-1", "10"))
        returned = erp.maintenance.post_goods_movement(issue("MX-1-RETURN", "4", movement="202"))
        assert stock_of(erp) == Decimal("94.000")
    assert returned.movement_type == "202" and returned.document


def test_goods_issue_beyond_stock_is_a_validation_error_with_sap_deficit_message(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        with pytest.raises(ValidationError) as caught:
            erp.maintenance.post_goods_movement(issue("MX-1", "130"))
        assert stock_of(erp) == Decimal("100.000")
    assert caught.value.code == "M7/021" and caught.value.status == 400
    assert caught.value.message == f"Deficit of SL Unrestricted-use 30.000 EA : {SPARE_PART} 1000 0001"


def test_posting_whose_answer_is_lost_is_found_by_reference_and_not_posted_again(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        erp.maintenance.read_stock([SPARE_PART])  # token and session first: the fault hits the posting
        erp_sandbox.faults(drop_after_commit_next=1)
        posted = erp.maintenance.post_goods_movement(issue("MX-DROP", "2"))
        failed_calls = erp.metrics.snapshot()["routes"][f"POST {MATDOC}/A_MaterialDocumentHeader"]["errors"]
        again = erp.maintenance.post_goods_movement(issue("MX-DROP", "2"))
        assert erp.maintenance.find_posting("MX-DROP") == posted == again
        assert stock_of(erp) == Decimal("98.000")
    assert failed_calls == 1  # the client saw the transport error
    assert calls(erp_sandbox, POST_DOCUMENT) == 1
    assert calls(erp_sandbox, FIND_DOCUMENT) == 4  # look + look after the loss, the second call's look, find_posting


def test_lost_answer_surfaces_as_a_transport_error_without_a_status(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        erp.maintenance.read_stock([SPARE_PART])
        erp_sandbox.faults(drop_after_commit_next=1)
        with pytest.raises(TransientError) as caught:
            erp.maintenance.create_equipment({"EquipmentName": "Fan F-9"})
        assert [e["EquipmentName"] for e in erp.maintenance.equipment_changed_since()].count("Fan F-9") == 1
    assert caught.value.status is None


def test_cancel_whose_answer_is_lost_returns_the_reversal_without_cancelling_twice(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        posted = erp.maintenance.post_goods_movement(issue("MX-1", "5"))
        erp_sandbox.faults(drop_after_commit_next=1)
        reversal = erp.maintenance.cancel_posting(posted.document_year, posted.document)
        again = erp.maintenance.cancel_posting(posted.document_year, posted.document)
        assert stock_of(erp) == Decimal("100.000")
    assert reversal == again and reversal.movement_type == "202"
    assert calls(erp_sandbox, POST_CANCEL) == 1


def test_find_postings_filters_on_header_text(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        for reference in ("MX-A", "MX-B", "MX-C"):
            erp.maintenance.post_goods_movement(issue(reference, "1"))
        found = erp.maintenance.find_postings(["MX-A", "MX-C", "MX-UNKNOWN"])
        assert erp.maintenance.find_posting("MX-UNKNOWN") is None
    assert sorted(found) == ["MX-A", "MX-C"] and found["MX-C"].quantity == Decimal("1.000")


def test_goods_movements_in_one_batch_commit_per_change_set(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        erp.maintenance.post_goods_movement(issue("MX-EARLIER", "1"))
        results = erp.maintenance.post_goods_movements(
            [issue("MX-EARLIER", "1"), issue("MX-OK", "2"), issue("MX-TOO-MUCH", "500")]
        )
        assert stock_of(erp) == Decimal("97.000")
    earlier, ok, refused = results
    assert isinstance(earlier, GoodsIssue) and isinstance(ok, GoodsIssue) and ok.document
    assert isinstance(refused, ValidationError) and refused.code == "M7/021"
    assert calls(erp_sandbox, f"POST {MATDOC}/$batch") == 1


def test_batch_whose_answer_is_lost_is_resolved_by_looking_the_references_up(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        erp.maintenance.read_stock([SPARE_PART])
        erp_sandbox.faults(drop_after_commit_next=1)
        results = erp.maintenance.post_goods_movements([issue("MX-1", "1"), issue("MX-2", "2")])
        assert stock_of(erp) == Decimal("97.000")
    assert [(r.reference, r.quantity) for r in results] == [("MX-1", Decimal("1.000")), ("MX-2", Decimal("2.000"))]
    assert calls(erp_sandbox, f"POST {MATDOC}/$batch") == 1


def test_goods_receipt_101_for_a_production_order_raises_stock(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        received = erp.maintenance.post_goods_movement(
            issue("MES-GR-1", "6", movement="101", order="1000123", storage_location="0002")
        )
        assert stock_of(erp, "0002") == Decimal("26.000")
    assert received.order == "1000123"


# ---- stock, equipment, maintenance orders --------------------------------------------------------------------


def test_stock_read_per_storage_location(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        rows = erp.maintenance.read_stock([SPARE_PART])
        everything = erp.maintenance.read_stock()
    assert sorted((r["StorageLocation"], r["quantity"], r["unit"]) for r in rows) == [
        ("0001", Decimal("100.000"), "EA"),
        ("0002", Decimal("20.000"), "EA"),
    ]
    assert len(everything) == 12  # 8 materials in 0001, every other one also in 0002


def test_equipment_create_and_update_with_etag(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        created = erp.maintenance.create_equipment({"EquipmentName": "Gearbox G-1", "MaintenancePlant": "1000"})
        updated = erp.maintenance.update_equipment(
            created["Equipment"], {"EquipmentName": "Gearbox G-1b"}, created["_etag"]
        )
        with pytest.raises(PreconditionFailedError) as stale:
            erp.maintenance.update_equipment(created["Equipment"], {"SerialNumber": "S-1"}, created["_etag"])
    assert updated["EquipmentName"] == "Gearbox G-1b" and updated["_etag"] != created["_etag"]
    assert updated["LastChangeDateTime"] > created["LastChangeDateTime"]
    assert stale.value.status == 412 and stale.value.code == "/IWBEP/CM_MGW_RT/094"


def test_maintenance_order_create_and_read(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        created = erp.maintenance.create_maintenance_order(
            {"MaintenanceOrderDesc": "Inspect drive", "Equipment": "10000002"}
        )
        back = erp.maintenance.read_maintenance_order(created["MaintenanceOrder"])
        on_pump = erp.maintenance.maintenance_orders(Equipment="10000001")
    assert back["MaintenanceOrderDesc"] == "Inspect drive" and back["MaintenanceOrderType"] == "PM01"
    assert [o["MaintenanceOrder"] for o in on_pump] == [SEEDED_ORDER]


# ---- typed errors from SAP's error bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "status", "code"),
    [
        (lambda m: m.read_reservation("0000099999"), NotFoundError, 404, "/IWBEP/CM_MGW_RT/020"),
        (
            lambda m: m.update_reservation_item(
                m.create_reservation(reservation()).reservation, "1", {"Product": "PRT-200076"}
            ),
            ValidationError,
            400,
            "M7/137",
        ),
        (
            lambda m: m.create_reservation(Reservation("261", (ReservationItem(SPARE_PART, Decimal(1)),), order="49")),
            ValidationError,
            400,
            "KO/002",
        ),
        (
            lambda m: m.create_maintenance_order({"MaintenanceOrderDesc": "X", "Equipment": "1"}),
            ValidationError,
            400,
            "IE/001",
        ),
        (
            lambda m: m.create_equipment({"EquipmentName": "X", "Unknown": 1}),
            ValidationError,
            400,
            "/IWBEP/CM_MGW_RT/021",
        ),
        (
            lambda m: m.api.request("DELETE", "/sap/opu/odata/sap/API_EQUIPMENT/Equipment('10000001')"),
            ClientError,
            405,
            "/IWBEP/CM_MGW_RT/004",
        ),
    ],
)
def test_sap_error_bodies_become_typed_errors(erp_sandbox: ERPSandbox, call, error, status, code) -> None:
    with erp_sandbox.resource().client() as erp, pytest.raises(error) as caught:
        call(erp.maintenance)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.message


def test_an_outage_is_a_retryable_service_unavailable_error(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource(max_attempts=2).client() as erp:
        erp.maintenance.read_stock([SPARE_PART])  # the token first: the outage hits the service call
        erp_sandbox.faults(outage=True)
        with pytest.raises(ServiceUnavailableError) as caught:
            erp.maintenance.read_stock([SPARE_PART])
    assert caught.value.retryable and caught.value.code == "/IWFND/CM_COS/503"
