"""API_MATERIAL_DOCUMENT_SRV: goods movements as material documents (A_MaterialDocumentHeader with
A_MaterialDocumentItem), created by deep insert and reversed by the `Cancel` function import.

GoodsMovementCode '03' (goods issue) takes movement types 201/202 (cost centre) and 261/262 (order);
'02' (goods receipt for a production order) takes 101/102 with `ManufacturingOrder`. Every posting moves
unrestricted-use stock (stock.py) and, with `Reservation`/`ReservationItem`, the reservation item's
withdrawn quantity (reservations.py), all in the request's one transaction: a deficit (SAP's M7 021)
stores nothing. Documents are immutable; `Cancel` posts the reversal document and flags the original.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.erp import bom_rules, reservations, stock
from sandbox.erp.edm import EntityType, Prop, format_entity, midnight_ms
from sandbox.erp.entities import apply_payload, entity_reply, load_entity, nav_list
from sandbox.erp.errors import (
    ACCOUNT_ASSIGNMENT_MISSING,
    ALREADY_CANCELLED,
    FIELD_INVALID,
    METHOD_NOT_ALLOWED,
    MOVEMENT_NOT_ALLOWED,
    ODataError,
    bad_request,
    not_found,
)
from sandbox.erp.filter import literal_value, tokenize
from sandbox.erp.handlers import collection_reply, expanded_entity_reply, service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV"
NS = "API_MATERIAL_DOCUMENT_SRV"
NAV = "to_MaterialDocumentItem"
MOVEMENTS = {"03": {"201", "202", "261", "262"}, "02": {"101", "102"}}  # GoodsMovementCode -> movement types
TRANSACTION_TYPE = {"03": "WA", "02": "WF"}  # goods issue, goods receipt for an order
STOCK_SIGN = {"201": -1, "261": -1, "102": -1, "202": 1, "262": 1, "101": 1}
REVERSAL = {"201": "202", "202": "201", "261": "262", "262": "261", "101": "102", "102": "101"}
ACCOUNT = {
    "201": "CostCenter",
    "202": "CostCenter",
    "261": "ManufacturingOrder",
    "262": "ManufacturingOrder",
    "101": "ManufacturingOrder",
    "102": "ManufacturingOrder",
}

HEADER = EntityType(
    NS,
    "A_MaterialDocumentHeaderType",
    "A_MaterialDocumentHeader",
    ("MaterialDocumentYear", "MaterialDocument"),
    (
        Prop("MaterialDocumentYear", max_len=4, read_only=True),
        Prop("MaterialDocument", max_len=10, read_only=True),
        Prop("InventoryTransactionType", max_len=2, read_only=True),
        Prop("DocumentDate", "Edm.DateTime", default=None),
        Prop("PostingDate", "Edm.DateTime", default=None),
        Prop("CreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("CreatedByUser", max_len=12, read_only=True),
        Prop("MaterialDocumentHeaderText", max_len=25),
        Prop("ReferenceDocument", max_len=16),
        Prop("GoodsMovementCode", max_len=2),
        Prop("VersionForPrintingSlip", max_len=1),
        Prop("ManualPrintIsTriggered", max_len=1),
    ),
    navs=(NAV,),
)

ITEM = EntityType(
    NS,
    "A_MaterialDocumentItemType",
    "A_MaterialDocumentItem",
    ("MaterialDocumentYear", "MaterialDocument", "MaterialDocumentItem"),
    (
        Prop("MaterialDocumentYear", max_len=4, read_only=True),
        Prop("MaterialDocument", max_len=10, read_only=True),
        Prop("MaterialDocumentItem", max_len=4, read_only=True),
        Prop("Material", max_len=40),
        Prop("Plant", max_len=4),
        Prop("StorageLocation", max_len=4),
        Prop("Batch", max_len=10),
        Prop("GoodsMovementType", max_len=3),
        Prop("InventoryStockType", max_len=2, default=stock.UNRESTRICTED),
        Prop("InventorySpecialStockType", max_len=1),
        Prop("Supplier", max_len=10),
        Prop("Customer", max_len=10),
        Prop("PurchaseOrder", max_len=10),
        Prop("PurchaseOrderItem", max_len=5),
        Prop("ManufacturingOrder", max_len=12),
        Prop("ManufacturingOrderItem", max_len=4),
        Prop("GoodsMovementRefDocType", max_len=1),
        Prop("GoodsMovementReasonCode", max_len=4),
        Prop("EntryUnit", max_len=3),
        Prop("QuantityInEntryUnit", "Edm.Decimal", scale=3, default="0.000"),
        Prop("QuantityInBaseUnit", "Edm.Decimal", scale=3, default="0.000", read_only=True),
        Prop("MaterialBaseUnit", max_len=3, read_only=True),
        Prop("CostCenter", max_len=10),
        Prop("GLAccount", max_len=10),
        Prop("Reservation", max_len=10),
        Prop("ReservationItem", max_len=4),
        Prop("ReservationItemRecordType", max_len=1),
        Prop("ReservationIsFinallyIssued", "Edm.Boolean", default=False),
        Prop("IsCompletelyDelivered", "Edm.Boolean", default=False),
        Prop("MaterialDocumentItemText", max_len=50),
        Prop("GoodsRecipientName", max_len=12),
        Prop("UnloadingPointName", max_len=25),
        Prop("GoodsMovementIsCancelled", "Edm.Boolean", default=False, read_only=True),
        Prop("ReversedMaterialDocumentYear", max_len=4, read_only=True),
        Prop("ReversedMaterialDocument", max_len=10, read_only=True),
        Prop("ReversedMaterialDocumentItem", max_len=4, read_only=True),
    ),
)


# --- domain operations --------------------------------------------------------------------------------------


def _book(system: ERPSystem, item: dict[str, Any], where: str) -> None:
    """Move stock and the reservation's withdrawn quantity for one item."""
    quantity = Decimal(item["QuantityInBaseUnit"])
    movement = item["GoodsMovementType"]
    stock.move_stock(
        system,
        item["Material"],
        item["Plant"],
        item["StorageLocation"],
        STOCK_SIGN[movement] * quantity,
        item["MaterialBaseUnit"],
    )
    if item["Reservation"]:
        if not item["ReservationItem"]:
            raise bad_request(
                f"ReservationItem is required with Reservation ({where})", target="ReservationItem", code=FIELD_INVALID
            )
        reservations.withdraw(
            system,
            item["Reservation"],
            item["ReservationItem"],
            item["Material"],
            item["Plant"],
            movement,
            -STOCK_SIGN[movement] * quantity,
            item["ReservationIsFinallyIssued"],
        )


def _account_from_reservation(system: ERPSystem, item: dict[str, Any], field: str) -> None:
    """SAP takes the account assignment of a reservation-based issue from the reservation."""
    if item[field] or not item["Reservation"]:
        return
    header = system.store.get(reservations.HEADER.set_name, item["Reservation"])
    if header is not None:
        item[field] = header["CostCenter"] if field == "CostCenter" else header["OrderID"]


def _validate_item(system: ERPSystem, code: str, item: dict[str, Any], where: str) -> None:
    movement = item["GoodsMovementType"]
    if movement not in MOVEMENTS[code]:
        raise ODataError(
            400,
            MOVEMENT_NOT_ALLOWED,
            f"Movement type {movement or '(empty)'} is not allowed with goods movement code {code} ({where})",
            target="GoodsMovementType",
        )
    product = bom_rules.material_in_plant(system, item["Material"], item["Plant"], "Material", where)
    stock.check_storage_location(system, item["Plant"], item["StorageLocation"], where)
    item["MaterialBaseUnit"] = product["BaseUnit"]
    item["EntryUnit"] = item["EntryUnit"] or product["BaseUnit"]
    if item["EntryUnit"] != product["BaseUnit"]:
        raise bad_request(
            f"Entry unit {item['EntryUnit']} differs from base unit {product['BaseUnit']} ({where}); "
            "the sandbox converts no units",
            target="EntryUnit",
            code=FIELD_INVALID,
        )
    if Decimal(item["QuantityInEntryUnit"]) <= 0:
        raise bad_request(
            f"Enter a quantity greater than zero ({where})", target="QuantityInEntryUnit", code=FIELD_INVALID
        )
    item["QuantityInBaseUnit"] = item["QuantityInEntryUnit"]
    field = ACCOUNT[movement]
    _account_from_reservation(system, item, field)
    if not item[field]:
        raise ODataError(
            400, ACCOUNT_ASSIGNMENT_MISSING, f"Movement type {movement} needs {field} ({where})", target=field
        )
    if movement in ("101", "102"):
        item["GoodsMovementRefDocType"] = "F"  # goods receipt against a production order


def _new_document(system: ERPSystem, doc: dict[str, Any], code: str, user: str) -> None:
    us = system.now()
    number = str(4_900_000_000 + system.store.next_number("material_document"))
    doc.update(
        MaterialDocumentYear=str(datetime.fromtimestamp(us / 1e6, UTC).year),
        MaterialDocument=number,
        InventoryTransactionType=TRANSACTION_TYPE[code],
        CreationDate=midnight_ms(us),
        CreatedByUser=user[:12],
        PostingDate=doc["PostingDate"] or midnight_ms(us),
        DocumentDate=doc["DocumentDate"] or midnight_ms(us),
        GoodsMovementCode=code,
    )


def _save_item(system: ERPSystem, header: dict[str, Any], item: dict[str, Any], number: int) -> None:
    item.update(
        MaterialDocumentYear=header["MaterialDocumentYear"],
        MaterialDocument=header["MaterialDocument"],
        MaterialDocumentItem=str(number),
    )
    system.store.put(ITEM.set_name, ITEM.key_of(item), item, parent=HEADER.key_of(header))


def post_document(system: ERPSystem, payload: dict[str, Any], user: str) -> tuple[dict[str, Any], int]:
    doc = apply_payload(HEADER, HEADER.defaults(), payload, creating=True)
    code = doc["GoodsMovementCode"]
    if code not in MOVEMENTS:
        raise ODataError(
            400,
            MOVEMENT_NOT_ALLOWED,
            f"Goods movement code '{code}' is not supported; use {' or '.join(sorted(MOVEMENTS))}",
            target="GoodsMovementCode",
        )
    payload_items = nav_list(payload, NAV)
    if not payload_items:
        raise bad_request(f"A material document needs at least one item ({NAV})", target=NAV)
    _new_document(system, doc, code, user)
    for number, child in enumerate(payload_items, 1):
        where = f"material document item {number}"
        item = apply_payload(ITEM, ITEM.defaults(), child, creating=True)
        _validate_item(system, code, item, where)
        _book(system, item, where)
        _save_item(system, doc, item, number)
    system.store.put(HEADER.set_name, HEADER.key_of(doc), doc)
    return doc, 1 + len(payload_items)


def cancel_document(system: ERPSystem, year: str, number: str, posting_ms: int | None, user: str) -> dict[str, Any]:
    """Post the reversal of every item of a document and flag the originals as cancelled."""
    original = system.store.get(HEADER.set_name, f"{year}\x1f{number}")
    if original is None:
        raise not_found(HEADER.set_name, f"MaterialDocumentYear='{year}',MaterialDocument='{number}'")
    items = _items_of(system, original)
    if any(i["GoodsMovementIsCancelled"] for i in items):
        raise ODataError(
            400,
            ALREADY_CANCELLED,
            f"Material document {number} ({year}) is already cancelled",
            target="MaterialDocument",
        )
    reversal = {**HEADER.defaults(), "PostingDate": posting_ms}
    _new_document(system, reversal, original["GoodsMovementCode"], user)
    for number_in_doc, item in enumerate(items, 1):
        counter = {
            **item,
            "GoodsMovementType": REVERSAL[item["GoodsMovementType"]],
            "ReversedMaterialDocumentYear": item["MaterialDocumentYear"],
            "ReversedMaterialDocument": item["MaterialDocument"],
            "ReversedMaterialDocumentItem": item["MaterialDocumentItem"],
        }
        _book(system, counter, f"cancellation of material document {number}, item {item['MaterialDocumentItem']}")
        _save_item(system, reversal, counter, number_in_doc)
        item["GoodsMovementIsCancelled"] = True
        system.store.put(ITEM.set_name, ITEM.key_of(item), item, parent=HEADER.key_of(original))
    system.store.put(HEADER.set_name, HEADER.key_of(reversal), reversal)
    return reversal


# --- handlers -----------------------------------------------------------------------------------------------


def _items_of(system: ERPSystem, header: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        system.store.children(ITEM.set_name, HEADER.key_of(header)), key=lambda i: int(i["MaterialDocumentItem"])
    )


def _expander(system: ERPSystem, root: str):
    def expand(doc: dict[str, Any], nav: str) -> list[dict[str, Any]]:
        return [format_entity(ITEM, i, root) for i in _items_of(system, doc)]

    return expand


def _with_items(system: ERPSystem, doc: dict[str, Any], root: str) -> dict[str, Any]:
    body = format_entity(HEADER, doc, root)
    body[NAV] = {"results": _expander(system, root)(doc, NAV)}
    return body


def headers(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        return collection_reply(system, call, HEADER, expander=_expander(system, call.service_root))
    if call.method == "POST":
        doc, writes = post_document(system, call.json(), call.user)
        return entity_reply(
            HEADER, doc, call, status=201, writes=writes, body=_with_items(system, doc, call.service_root)
        )
    raise method_not_allowed(call)


def header(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, HEADER, call)
    if call.method == "GET":
        return expanded_entity_reply(call, HEADER, doc, _expander(system, call.service_root))
    raise ODataError(
        405,
        METHOD_NOT_ALLOWED,
        f"Material document {doc['MaterialDocument']} cannot be changed "
        "or deleted; reverse it with the Cancel function import",
    )


def header_items(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, HEADER, call)
    if call.method != "GET":
        raise method_not_allowed(call)
    return collection_reply(system, call, ITEM, _items_of(system, doc))


def items(system: ERPSystem, call: Call) -> Reply:
    if call.method != "GET":
        raise method_not_allowed(call)
    return collection_reply(system, call, ITEM)


def item(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, ITEM, call)
    if call.method != "GET":
        raise ODataError(405, METHOD_NOT_ALLOWED, "Material document items cannot be changed or deleted")
    return entity_reply(ITEM, doc, call)


def _function_parameters(call: Call, name: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, text in call.query.items():
        if key in ("sap-client", "sap-language"):
            continue
        tokens = tokenize(text)
        if len(tokens) != 1 or tokens[0][0] not in ("str", "dt"):
            raise bad_request(f"Parameter {key} of {name} must be a quoted literal", target=key)
        params[key] = literal_value(tokens[0][0], tokens[0][1])
    return params


def cancel(system: ERPSystem, call: Call) -> Reply:
    """POST /Cancel?MaterialDocumentYear='2026'&MaterialDocument='4900000001'[&PostingDate=datetime'...']."""
    if call.method != "POST":
        raise method_not_allowed(call)
    params = _function_parameters(call, "Cancel")
    missing = [p for p in ("MaterialDocumentYear", "MaterialDocument") if not params.get(p)]
    if missing:
        raise bad_request(f"Cancel needs parameter(s) {', '.join(missing)}", target=missing[0])
    posting = params.get("PostingDate")
    posting_ms = int(posting.timestamp() * 1000) if isinstance(posting, datetime) else None
    reversal = cancel_document(
        system, str(params["MaterialDocumentYear"]), str(params["MaterialDocument"]), posting_ms, call.user
    )
    writes = 1 + 2 * len(_items_of(system, reversal))
    return entity_reply(HEADER, reversal, call, writes=writes, body=_with_items(system, reversal, call.service_root))


ROUTES = [
    *service_routes(NS, [HEADER, ITEM]),
    ServiceRoute("/A_MaterialDocumentHeader", ("GET", "POST"), headers),
    ServiceRoute("/A_MaterialDocumentHeader({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), header),
    ServiceRoute("/A_MaterialDocumentHeader({key})/to_MaterialDocumentItem", ("GET", "POST"), header_items),
    ServiceRoute("/A_MaterialDocumentItem", ("GET", "POST"), items),
    ServiceRoute("/A_MaterialDocumentItem({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), item),
    ServiceRoute("/Cancel", ("POST",), cancel),
]

register_service(
    SERVICE_PATH, ROUTES, {"material_documents": HEADER.set_name, "material_document_items": ITEM.set_name}
)
