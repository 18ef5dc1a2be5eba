"""The ERP sandbox's maintenance services: reservations, goods issues, stock, equipment, maintenance orders."""

from __future__ import annotations

import httpx

try:
    from tests.sandbox.erp_fixtures import (  # noqa: F401
        PRELOADED,
        batch_request,
        batch_statuses,
        erp,
        erp_server,
        error_code,
    )
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from erp_fixtures import PRELOADED, batch_request, batch_statuses, erp, erp_server, error_code  # noqa: F401

RESERVATION_SRV = "/sap/opu/odata/sap/API_RESERVATION_DOCUMENT_SRV"
MATDOC_SRV = "/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV"
STOCK_SRV = "/sap/opu/odata/sap/API_MATERIAL_STOCK_SRV"
EQUIPMENT_SRV = "/sap/opu/odata/sap/API_EQUIPMENT"
ORDER_SRV = "/sap/opu/odata/sap/API_MAINTENANCEORDER;v=0002"
SEEDED_ORDER = "4000001"
SEEDED_STOCK = "100.000"  # PRELOADED in plant 1000, storage location 0001


def _reservation(client, movement: str = "201", quantity: str = "5", **header) -> httpx.Response:
    account = {"CostCenter": "4711"} if movement == "201" else {"OrderID": SEEDED_ORDER}
    body = {
        "GoodsMovementType": movement,
        **account,
        **header,
        "to_ReservationDocumentItem": [
            {
                "Product": PRELOADED,
                "Plant": "1000",
                "StorageLocation": "0001",
                "ResvnItmRequiredQtyInBaseUnit": quantity,
            }
        ],
    }
    return client.post(f"{RESERVATION_SRV}/A_ReservationDocumentHeader", json=body)


def _goods_issue(client, quantity: str, movement: str = "201", text: str = "EAM-TX-1", **item) -> httpx.Response:
    line = {
        "Material": PRELOADED,
        "Plant": "1000",
        "StorageLocation": "0001",
        "GoodsMovementType": movement,
        "QuantityInEntryUnit": quantity,
        **item,
    }
    if movement in ("201", "202") and "Reservation" not in item:
        line.setdefault("CostCenter", "4711")
    return client.post(
        f"{MATDOC_SRV}/A_MaterialDocumentHeader",
        json={"GoodsMovementCode": "03", "MaterialDocumentHeaderText": text, "to_MaterialDocumentItem": [line]},
    )


def _stock(client, location: str = "0001") -> str:
    d = client.collection(
        f"{STOCK_SRV}/A_MatlStkInAcctMod",
        **{"$filter": f"Material eq '{PRELOADED}' and Plant eq '1000' and StorageLocation eq '{location}'"},
    )
    return d["results"][0]["MatlWrhsStkQtyInMatlBaseUnit"]


def _reservation_item(client, reservation: str) -> dict:
    path = (
        f"{RESERVATION_SRV}/A_ReservationDocumentItem(Reservation='{reservation}',ReservationItem='0001',RecordType='')"
    )
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json()["d"]


def test_reservation_for_a_cost_centre_is_created_by_deep_insert_and_read_back(erp):
    _, client = erp
    created = _reservation(client, "201", quantity="4")
    assert created.status_code == 201, created.text
    number = created.json()["d"]["Reservation"]
    d = client.get(
        f"{RESERVATION_SRV}/A_ReservationDocumentHeader('{number}')", params={"$expand": "to_ReservationDocumentItem"}
    ).json()["d"]
    assert (d["GoodsMovementType"], d["CostCenter"]) == ("201", "4711")
    [item] = d["to_ReservationDocumentItem"]["results"]
    assert (item["ReservationItem"], item["Product"], item["StorageLocation"]) == ("0001", PRELOADED, "0001")
    assert (item["ResvnItmRequiredQtyInBaseUnit"], item["ResvnItmWithdrawnQtyInBaseUnit"]) == ("4.000", "0.000")
    assert item["BaseUnit"] == "EA" and item["MatlCompRequirementDate"].startswith("/Date(")


def test_reservation_for_an_order_needs_an_existing_order(erp):
    _, client = erp
    assert _reservation(client, "261").status_code == 201
    refused = client.post(
        f"{RESERVATION_SRV}/A_ReservationDocumentHeader",
        json={
            "GoodsMovementType": "261",
            "OrderID": "4999999",
            "to_ReservationDocumentItem": [{"Product": PRELOADED, "ResvnItmRequiredQtyInBaseUnit": "1"}],
        },
    )
    assert refused.status_code == 400 and error_code(refused) == "KO/002"


def test_reservation_for_a_cost_centre_without_one_is_refused(erp):
    _, client = erp
    refused = client.post(
        f"{RESERVATION_SRV}/A_ReservationDocumentHeader",
        json={
            "GoodsMovementType": "201",
            "to_ReservationDocumentItem": [{"Product": PRELOADED, "ResvnItmRequiredQtyInBaseUnit": "1"}],
        },
    )
    assert refused.status_code == 400 and error_code(refused) == "M7/146"


def test_reservation_item_update_changes_quantity_and_flags_but_not_the_material(erp):
    _, client = erp
    number = _reservation(client).json()["d"]["Reservation"]
    path = f"{RESERVATION_SRV}/A_ReservationDocumentItem(Reservation='{number}',ReservationItem='0001',RecordType='')"
    assert client.patch(path, json={"ResvnItmRequiredQtyInBaseUnit": "7", "StorageLocation": "0002"}).status_code == 204
    item = _reservation_item(client, number)
    assert (item["ResvnItmRequiredQtyInBaseUnit"], item["StorageLocation"]) == ("7.000", "0002")
    assert client.patch(path, json={"ReservationItmIsMarkedForDeltn": True}).status_code == 204
    assert _reservation_item(client, number)["ReservationItmIsMarkedForDeltn"] is True
    refused = client.patch(path, json={"Product": "PRT-200076"})
    assert refused.status_code == 400 and error_code(refused) == "M7/137"
    assert client.delete(path).status_code == 405


def test_goods_issue_lowers_stock_and_raises_the_reservation_withdrawn_quantity(erp):
    _, client = erp
    number = _reservation(client, quantity="5").json()["d"]["Reservation"]
    posted = _goods_issue(client, "3", Reservation=number, ReservationItem="1")
    assert posted.status_code == 201, posted.text
    [line] = posted.json()["d"]["to_MaterialDocumentItem"]["results"]
    assert line["CostCenter"] == "4711"  # taken from the reservation
    assert _stock(client) == "97.000"
    assert _reservation_item(client, number)["ResvnItmWithdrawnQtyInBaseUnit"] == "3.000"


def test_cancel_restores_stock_and_withdrawn_quantity_and_flags_the_original(erp):
    _, client = erp
    number = _reservation(client, quantity="5").json()["d"]["Reservation"]
    doc = _goods_issue(client, "3", Reservation=number, ReservationItem="1").json()["d"]
    year, material_document = doc["MaterialDocumentYear"], doc["MaterialDocument"]
    cancelled = client.post(
        f"{MATDOC_SRV}/Cancel",
        params={"MaterialDocumentYear": f"'{year}'", "MaterialDocument": f"'{material_document}'"},
    )
    assert cancelled.status_code == 200, cancelled.text
    [reversal] = cancelled.json()["d"]["to_MaterialDocumentItem"]["results"]
    assert (reversal["GoodsMovementType"], reversal["ReversedMaterialDocument"]) == ("202", material_document)
    assert _stock(client) == SEEDED_STOCK
    assert _reservation_item(client, number)["ResvnItmWithdrawnQtyInBaseUnit"] == "0.000"
    original = client.get(
        f"{MATDOC_SRV}/A_MaterialDocumentItem(MaterialDocumentYear='{year}',"
        f"MaterialDocument='{material_document}',MaterialDocumentItem='1')"
    ).json()["d"]
    assert original["GoodsMovementIsCancelled"] is True
    again = client.post(
        f"{MATDOC_SRV}/Cancel",
        params={"MaterialDocumentYear": f"'{year}'", "MaterialDocument": f"'{material_document}'"},
    )
    assert again.status_code == 400 and error_code(again) == "M7/136"


def test_reversal_202_returns_stock(erp):
    _, client = erp
    assert _goods_issue(client, "10").status_code == 201
    assert _goods_issue(client, "4", movement="202", text="EAM-TX-2").status_code == 201
    assert _stock(client) == "94.000"


def test_goods_issue_beyond_stock_is_refused_with_sap_deficit_message_and_stores_nothing(erp):
    _, client = erp
    refused = _goods_issue(client, "130")
    assert refused.status_code == 400
    assert error_code(refused) == "M7/021"
    assert (
        refused.json()["error"]["message"]["value"]
        == f"Deficit of SL Unrestricted-use 30.000 EA : {PRELOADED} 1000 0001"
    )
    assert _stock(client) == SEEDED_STOCK
    assert client.collection(f"{MATDOC_SRV}/A_MaterialDocumentHeader")["results"] == []


def test_goods_receipt_101_for_a_production_order_raises_stock(erp):
    _, client = erp
    posted = client.post(
        f"{MATDOC_SRV}/A_MaterialDocumentHeader",
        json={
            "GoodsMovementCode": "02",
            "MaterialDocumentHeaderText": "MES-CONF-1",
            "to_MaterialDocumentItem": [
                {
                    "Material": PRELOADED,
                    "Plant": "1000",
                    "StorageLocation": "0002",
                    "GoodsMovementType": "101",
                    "ManufacturingOrder": "1000123",
                    "QuantityInEntryUnit": "6",
                }
            ],
        },
    )
    assert posted.status_code == 201, posted.text
    assert _stock(client, "0002") == "26.000"


def test_header_text_filter_finds_the_posting(erp):
    _, client = erp
    _goods_issue(client, "1", text="EAM-TX-A")
    _goods_issue(client, "1", text="EAM-TX-B")
    d = client.collection(
        f"{MATDOC_SRV}/A_MaterialDocumentHeader",
        **{"$filter": "MaterialDocumentHeaderText eq 'EAM-TX-B'", "$expand": "to_MaterialDocumentItem"},
    )
    assert [h["MaterialDocumentHeaderText"] for h in d["results"]] == ["EAM-TX-B"]
    assert len(d["results"][0]["to_MaterialDocumentItem"]["results"]) == 1


def test_goods_issue_change_set_is_atomic_in_batch(erp):
    _, client = erp
    ok = {
        "GoodsMovementCode": "03",
        "MaterialDocumentHeaderText": "B-1",
        "to_MaterialDocumentItem": [
            {
                "Material": PRELOADED,
                "Plant": "1000",
                "StorageLocation": "0001",
                "GoodsMovementType": "201",
                "CostCenter": "4711",
                "QuantityInEntryUnit": "2",
            }
        ],
    }
    too_much = {
        **ok,
        "MaterialDocumentHeaderText": "B-2",
        "to_MaterialDocumentItem": [{**ok["to_MaterialDocumentItem"][0], "QuantityInEntryUnit": "999"}],
    }
    content_type, body = batch_request(
        [[("POST", "A_MaterialDocumentHeader", ok), ("POST", "A_MaterialDocumentHeader", too_much)]]
    )
    response = client.post(f"{MATDOC_SRV}/$batch", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 202 and batch_statuses(response) == [400] and '"M7/021"' in response.text
    assert _stock(client) == SEEDED_STOCK


def test_commit_then_drop_stores_the_document_but_answers_nothing(erp):
    _, client = erp
    client.put("/_sandbox/faults", json={"drop_after_commit_next": 1}).raise_for_status()
    try:
        _goods_issue(client, "2", text="EAM-TX-DROP")
        raise AssertionError("the connection should have dropped")
    except httpx.RemoteProtocolError:
        pass
    d = client.collection(
        f"{MATDOC_SRV}/A_MaterialDocumentHeader", **{"$filter": "MaterialDocumentHeaderText eq 'EAM-TX-DROP'"}
    )
    assert len(d["results"]) == 1 and _stock(client) == "98.000"
    assert client.get("/_sandbox/faults").json()["drop_after_commit_next"] == 0


def test_commit_then_drop_spares_reads_and_counts_only_writes(erp):
    _, client = erp
    client.put("/_sandbox/faults", json={"drop_after_commit_next": 1}).raise_for_status()
    assert _stock(client) == SEEDED_STOCK  # a read passes untouched
    assert (
        client.post(
            "/sap/bc/sec/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("MFG_SYNC_COMM_USER", "sandbox-erp-secret"),
        ).status_code
        == 200
    )
    assert client.get("/_sandbox/faults").json()["drop_after_commit_next"] == 1


def test_stock_service_is_read_only(erp):
    _, client = erp
    response = client.post(f"{STOCK_SRV}/A_MatlStkInAcctMod", json={"Material": PRELOADED})
    assert response.status_code == 405
    d = client.collection(f"{STOCK_SRV}/A_MatlStkInAcctMod", **{"$filter": f"Material eq '{PRELOADED}'"})
    assert [(s["StorageLocation"], s["MatlWrhsStkQtyInMatlBaseUnit"]) for s in d["results"]] == [
        ("0001", "100.000"),
        ("0002", "20.000"),
    ]


def test_equipment_create_then_patch_needs_the_current_etag(erp):
    _, client = erp
    created = client.post(
        f"{EQUIPMENT_SRV}/Equipment", json={"EquipmentName": "Gearbox G-1", "MaintenancePlant": "1000"}
    )
    assert created.status_code == 201, created.text
    number, etag = created.json()["d"]["Equipment"], created.headers["ETag"]
    assert number == "10000007"  # after the six seeded
    path = f"{EQUIPMENT_SRV}/Equipment('{number}')"
    assert client.patch(path, json={"EquipmentName": "Gearbox G-1 (rebuilt)"}).status_code == 428
    updated = client.patch(path, json={"EquipmentName": "Gearbox G-1 (rebuilt)"}, headers={"If-Match": etag})
    assert updated.status_code == 204 and updated.headers["ETag"] != etag
    stale = client.patch(path, json={"SerialNumber": "X"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert client.get(path).json()["d"]["EquipmentName"] == "Gearbox G-1 (rebuilt)"


def test_maintenance_order_is_created_for_existing_equipment_only(erp):
    _, client = erp
    created = client.post(
        f"{ORDER_SRV}/MaintenanceOrder", json={"MaintenanceOrderDesc": "Inspect drive", "Equipment": "10000002"}
    )
    assert created.status_code == 201 and created.json()["d"]["MaintenanceOrder"] == "4000002"
    refused = client.post(f"{ORDER_SRV}/MaintenanceOrder", json={"MaintenanceOrderDesc": "X", "Equipment": "1"})
    assert refused.status_code == 400 and error_code(refused) == "IE/001"
    assert client.get(f"{ORDER_SRV}/MaintenanceOrder('{SEEDED_ORDER}')").json()["d"]["Equipment"] == "10000001"
