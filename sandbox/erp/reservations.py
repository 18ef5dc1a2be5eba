"""API_RESERVATION_DOCUMENT_SRV: A_ReservationDocumentHeader with its items (A_ReservationDocumentItem).

A reservation is created by deep insert (`to_ReservationDocumentItem`). GoodsMovementType 201 (consumption
for a cost centre) needs `CostCenter`; 261 (consumption for an order) needs an existing `OrderID`. Items
are changed one by one (quantity, requirement date, storage location, final-issue and deletion flags, texts);
material, plant and the header are fixed once created, as in SAP. Goods issues (material_documents.py) raise
`ResvnItmWithdrawnQtyInBaseUnit` through `withdraw`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.erp import bom_rules, stock
from sandbox.erp.edm import EntityType, Prop, format_entity, midnight_ms
from sandbox.erp.entities import UPDATE_METHODS, apply_payload, entity_reply, load_entity, nav_list
from sandbox.erp.errors import (
    ACCOUNT_ASSIGNMENT_MISSING,
    FIELD_INVALID,
    METHOD_NOT_ALLOWED,
    MOVEMENT_NOT_ALLOWED,
    RESERVATION_CLOSED,
    RESERVATION_NOT_CHANGEABLE,
    UNKNOWN_ORDER,
    UNKNOWN_PLANT,
    UNKNOWN_RESERVATION,
    ODataError,
    bad_request,
)
from sandbox.erp.handlers import collection_reply, expanded_entity_reply, service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.maintenance_orders import ORDER
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_RESERVATION_DOCUMENT_SRV"
NS = "API_RESERVATION_DOCUMENT_SRV"
MOVEMENT_TYPES = {"201": "CostCenter", "261": "OrderID"}  # movement type -> the account assignment it needs
NAV = "to_ReservationDocumentItem"

HEADER = EntityType(
    NS,
    "A_ReservationDocumentHeaderType",
    "A_ReservationDocumentHeader",
    ("Reservation",),
    (
        Prop("Reservation", max_len=10, read_only=True),
        Prop("OrderID", max_len=12),
        Prop("GoodsMovementType", max_len=3),
        Prop("CostCenter", max_len=10),
        Prop("GoodsRecipientName", max_len=12),
        Prop("ReservationDate", "Edm.DateTime", default=None),
        Prop("IsCheckedAgainstFactoryCal", "Edm.Boolean", default=False),
        Prop("Customer", max_len=10),
        Prop("WBSElement", max_len=24),
        Prop("ControllingArea", max_len=4),
        Prop("SalesOrder", max_len=10),
        Prop("SalesOrderItem", max_len=6),
        Prop("SalesOrderScheduleLine", max_len=4),
        Prop("AssetNumber", max_len=12),
        Prop("AssetSubNumber", max_len=4),
        Prop("NetworkNumberForAcctAssgmt", max_len=12),
        Prop("IssuingOrReceivingPlant", max_len=4),
        Prop("IssuingOrReceivingStorageLoc", max_len=4),
    ),
    navs=(NAV,),
)

ITEM = EntityType(
    NS,
    "A_ReservationDocumentItemType",
    "A_ReservationDocumentItem",
    ("Reservation", "ReservationItem", "RecordType"),
    (
        Prop("Reservation", max_len=10, read_only=True),
        Prop("ReservationItem", max_len=4),
        Prop("RecordType", max_len=1),
        Prop("Product", max_len=40),
        Prop("RequirementType", max_len=4),
        Prop("MatlCompRequirementDate", "Edm.DateTime", default=None),
        Prop("Plant", max_len=4),
        Prop("ManufacturingOrderOperation", max_len=4),
        Prop("GoodsMovementIsAllowed", "Edm.Boolean", default=True),
        Prop("StorageLocation", max_len=4),
        Prop("Batch", max_len=10),
        Prop("DebitCreditCode", max_len=1, read_only=True),
        Prop("BaseUnit", max_len=3, read_only=True),
        Prop("GLAccount", max_len=10),
        Prop("GoodsMovementType", max_len=3, read_only=True),
        Prop("EntryUnit", max_len=3),
        Prop("QuantityIsFixed", "Edm.Boolean", default=False),
        Prop("CompanyCodeCurrency", max_len=5, read_only=True),
        Prop("IssuingOrReceivingPlant", max_len=4),
        Prop("IssuingOrReceivingStorageLoc", max_len=4),
        Prop("PurchasingDocument", max_len=10),
        Prop("PurchasingDocumentItem", max_len=5),
        Prop("Supplier", max_len=10),
        Prop("ResvnItmRequiredQtyInEntryUnit", "Edm.Decimal", scale=3, default="0.000"),
        Prop("ReservationItmIsMarkedForDeltn", "Edm.Boolean", default=False),
        Prop("ResvnItmRequiredQtyInBaseUnit", "Edm.Decimal", scale=3, default="0.000"),
        Prop("ReservationItemIsFinallyIssued", "Edm.Boolean", default=False),
        Prop("ResvnItmWithdrawnQtyInBaseUnit", "Edm.Decimal", scale=3, default="0.000", read_only=True),
        Prop("ResvnItmWithdrawnAmtInCcCrcy", "Edm.Decimal", scale=2, default="0.00", read_only=True),
        Prop("GoodsRecipientName", max_len=12),
        Prop("UnloadingPointName", max_len=25),
        Prop("ReservationItemText", max_len=50),
    ),
)
# What PATCH may change on an item (the real service's updatable fields; the rest is fixed at creation)
ITEM_UPDATABLE = {
    "ResvnItmRequiredQtyInBaseUnit",
    "ResvnItmRequiredQtyInEntryUnit",
    "MatlCompRequirementDate",
    "StorageLocation",
    "ReservationItemIsFinallyIssued",
    "ReservationItmIsMarkedForDeltn",
    "GoodsMovementIsAllowed",
    "QuantityIsFixed",
    "GoodsRecipientName",
    "UnloadingPointName",
    "ReservationItemText",
    "GLAccount",
    "RequirementType",
}


# --- domain operations --------------------------------------------------------------------------------------


def _validate_header(system: ERPSystem, doc: dict[str, Any]) -> None:
    movement = doc["GoodsMovementType"]
    if movement not in MOVEMENT_TYPES:
        raise ODataError(
            400,
            MOVEMENT_NOT_ALLOWED,
            f"Movement type {movement or '(empty)'} is not allowed for a "
            f"reservation; use {' or '.join(MOVEMENT_TYPES)}",
            target="GoodsMovementType",
        )
    needed = MOVEMENT_TYPES[movement]
    if not doc[needed]:
        raise ODataError(
            400,
            ACCOUNT_ASSIGNMENT_MISSING,
            f"Movement type {movement} needs {needed} (account assignment)",
            target=needed,
        )
    if movement == "261" and system.store.get(ORDER.set_name, doc["OrderID"]) is None:
        raise ODataError(400, UNKNOWN_ORDER, f"Order {doc['OrderID']} does not exist", target="OrderID")


def _quantities(item: dict[str, Any], where: str) -> None:
    """Entry and base quantity agree (the sandbox has no unit conversion: entry unit = base unit)."""
    if item["EntryUnit"] and item["EntryUnit"] != item["BaseUnit"]:
        raise bad_request(
            f"Entry unit {item['EntryUnit']} differs from base unit {item['BaseUnit']} ({where}); "
            "the sandbox converts no units",
            target="EntryUnit",
            code=FIELD_INVALID,
        )
    base, entry = Decimal(item["ResvnItmRequiredQtyInBaseUnit"]), Decimal(item["ResvnItmRequiredQtyInEntryUnit"])
    quantity = base if base > 0 else entry
    if quantity <= 0:
        raise bad_request(
            f"Enter a required quantity greater than zero ({where})",
            target="ResvnItmRequiredQtyInBaseUnit",
            code=FIELD_INVALID,
        )
    if quantity < Decimal(item["ResvnItmWithdrawnQtyInBaseUnit"]):
        raise ODataError(
            400,
            RESERVATION_NOT_CHANGEABLE,
            f"Required quantity {quantity:f} is below the quantity already withdrawn ({where})",
            target="ResvnItmRequiredQtyInBaseUnit",
        )
    item["ResvnItmRequiredQtyInBaseUnit"] = item["ResvnItmRequiredQtyInEntryUnit"] = f"{quantity:.3f}"
    item["EntryUnit"] = item["BaseUnit"]


def _validate_item(system: ERPSystem, header: dict[str, Any], item: dict[str, Any]) -> None:
    where = f"reservation {header['Reservation']}, item {item['ReservationItem']}"
    if not system.plant_known(item["Plant"]):
        raise ODataError(400, UNKNOWN_PLANT, f"Plant '{item['Plant']}' does not exist ({where})", target="Plant")
    product = bom_rules.material_in_plant(system, item["Product"], item["Plant"], "Product", where)
    if item["StorageLocation"]:
        stock.check_storage_location(system, item["Plant"], item["StorageLocation"], where)
    item.update(
        BaseUnit=product["BaseUnit"],
        GoodsMovementType=header["GoodsMovementType"],
        DebitCreditCode="H",
        CompanyCodeCurrency="EUR",
    )
    _quantities(item, where)


def add_item(
    system: ERPSystem, header: dict[str, Any], payload: dict[str, Any], existing: list[dict[str, Any]]
) -> dict[str, Any]:
    base = {
        **ITEM.defaults(),
        "Reservation": header["Reservation"],
        "Plant": header["IssuingOrReceivingPlant"] or "1000",
        "StorageLocation": header["IssuingOrReceivingStorageLoc"],
        "MatlCompRequirementDate": header["ReservationDate"],
    }
    item = apply_payload(ITEM, base, payload, creating=True)
    top = max((int(i["ReservationItem"]) for i in existing), default=0)
    item["ReservationItem"] = f"{top + 1:04d}"  # SAP numbers reservation items itself
    item["RecordType"] = ""
    _validate_item(system, header, item)
    system.store.put(ITEM.set_name, ITEM.key_of(item), item, parent=header["Reservation"])
    existing.append(item)
    return item


def create_reservation(system: ERPSystem, payload: dict[str, Any]) -> tuple[dict[str, Any], int]:
    doc = apply_payload(HEADER, HEADER.defaults(), payload, creating=True)
    _validate_header(system, doc)
    doc["Reservation"] = f"{system.store.next_number('reservation'):010d}"
    doc["ReservationDate"] = doc["ReservationDate"] or midnight_ms(system.now())
    items = nav_list(payload, NAV)
    if not items:
        raise bad_request(f"Reservation needs at least one item ({NAV})", target=NAV)
    system.store.put(HEADER.set_name, doc["Reservation"], doc)
    existing: list[dict[str, Any]] = []
    for child in items:
        add_item(system, doc, child, existing)
    return doc, 1 + len(existing)


def withdraw(
    system: ERPSystem,
    reservation: str,
    item_number: str,
    material: str,
    plant: str,
    movement: str,
    delta: Decimal,
    final_issue: bool,
) -> None:
    """Book a goods issue (delta > 0) or its reversal (delta < 0) against a reservation item."""
    where = f"reservation {reservation}, item {item_number}"
    item = system.store.get(ITEM.set_name, f"{reservation}\x1f{item_number.zfill(4)}\x1f")
    if item is None:
        raise ODataError(
            400,
            UNKNOWN_RESERVATION,
            f"Reservation {reservation} item {item_number} does not exist",
            target="Reservation",
        )
    if (item["Product"], item["Plant"]) != (material, plant):
        raise ODataError(
            400,
            UNKNOWN_RESERVATION,
            f"Material {material} in plant {plant} does not match {where} ({item['Product']} {item['Plant']})",
            target="Material",
        )
    if item["GoodsMovementType"] not in (movement, str(int(movement) - 1)):
        raise ODataError(
            400,
            MOVEMENT_NOT_ALLOWED,
            f"Movement type {movement} does not fit {where} (reserved for {item['GoodsMovementType']})",
            target="GoodsMovementType",
        )
    if delta > 0 and (
        item["ReservationItmIsMarkedForDeltn"]
        or item["ReservationItemIsFinallyIssued"]
        or not item["GoodsMovementIsAllowed"]
    ):
        raise ODataError(
            400,
            RESERVATION_CLOSED,
            f"{where.capitalize()} is deleted, finally issued or not released for goods movements",
            target="ReservationItem",
        )
    withdrawn = Decimal(item["ResvnItmWithdrawnQtyInBaseUnit"]) + delta
    if withdrawn < 0:
        raise ODataError(
            400,
            RESERVATION_CLOSED,
            f"Reversal of {-delta:f} exceeds the quantity withdrawn for {where}",
            target="QuantityInEntryUnit",
        )
    item["ResvnItmWithdrawnQtyInBaseUnit"] = f"{withdrawn:.3f}"
    if final_issue:
        item["ReservationItemIsFinallyIssued"] = delta > 0
    system.store.put(ITEM.set_name, ITEM.key_of(item), item, parent=reservation)


# --- handlers -----------------------------------------------------------------------------------------------


def _items_of(system: ERPSystem, reservation: str) -> list[dict[str, Any]]:
    return sorted(system.store.children(ITEM.set_name, reservation), key=lambda i: i["ReservationItem"])


def _expander(system: ERPSystem, root: str):
    def expand(doc: dict[str, Any], nav: str) -> list[dict[str, Any]]:
        return [format_entity(ITEM, i, root) for i in _items_of(system, doc["Reservation"])]

    return expand


def headers(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        return collection_reply(system, call, HEADER, expander=_expander(system, call.service_root))
    if call.method == "POST":
        doc, writes = create_reservation(system, call.json())
        body = format_entity(HEADER, doc, call.service_root)
        body[NAV] = {"results": _expander(system, call.service_root)(doc, NAV)}
        return entity_reply(HEADER, doc, call, status=201, writes=writes, body=body)
    raise method_not_allowed(call)


def header(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, HEADER, call)
    if call.method == "GET":
        return expanded_entity_reply(call, HEADER, doc, _expander(system, call.service_root))
    raise ODataError(
        405,
        METHOD_NOT_ALLOWED,
        f"Reservation {doc['Reservation']}: the header cannot be changed "
        "or deleted here; change its items (ReservationItmIsMarkedForDeltn to delete one)",
    )


def header_items(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, HEADER, call)
    items = _items_of(system, doc["Reservation"])
    if call.method == "GET":
        return collection_reply(system, call, ITEM, items)
    if call.method == "POST":
        return entity_reply(ITEM, add_item(system, doc, call.json(), items), call, status=201, writes=1)
    raise method_not_allowed(call)


def item_collection(system: ERPSystem, call: Call) -> Reply:
    if call.method != "GET":
        raise method_not_allowed(call)  # items are created with their header or under to_ReservationDocumentItem
    return collection_reply(system, call, ITEM)


def item(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, ITEM, call)
    if call.method == "GET":
        return entity_reply(ITEM, doc, call)
    if call.method in UPDATE_METHODS:
        payload = {k: v for k, v in call.json().items() if k != "__metadata"}
        fixed = sorted(
            k
            for k in payload
            if k not in ITEM_UPDATABLE and k not in ITEM.keys and (ITEM.prop(k) is None or not ITEM.prop(k).read_only)
        )
        if fixed:
            raise ODataError(
                400,
                RESERVATION_NOT_CHANGEABLE,
                f"Field(s) {', '.join(fixed)} of reservation "
                f"{doc['Reservation']} item {doc['ReservationItem']} cannot be changed",
                target=fixed[0],
            )
        if "ResvnItmRequiredQtyInEntryUnit" in payload and "ResvnItmRequiredQtyInBaseUnit" not in payload:
            payload["ResvnItmRequiredQtyInBaseUnit"] = payload["ResvnItmRequiredQtyInEntryUnit"]
        new = apply_payload(ITEM, doc, payload, creating=False)
        head = system.store.get(HEADER.set_name, doc["Reservation"]) or {}
        _validate_item(system, head, new)
        system.store.put(ITEM.set_name, ITEM.key_of(new), new, parent=doc["Reservation"])
        return Reply(204, None, {}, 1)
    raise ODataError(
        405,
        METHOD_NOT_ALLOWED,
        f"Reservation {doc['Reservation']} item {doc['ReservationItem']} "
        "cannot be deleted; set ReservationItmIsMarkedForDeltn to true",
    )


ROUTES = [
    *service_routes(NS, [HEADER, ITEM]),
    ServiceRoute("/A_ReservationDocumentHeader", ("GET", "POST"), headers),
    ServiceRoute("/A_ReservationDocumentHeader({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), header),
    ServiceRoute("/A_ReservationDocumentHeader({key})/to_ReservationDocumentItem", ("GET", "POST"), header_items),
    ServiceRoute("/A_ReservationDocumentItem", ("GET", "POST"), item_collection),
    ServiceRoute("/A_ReservationDocumentItem({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), item),
]

register_service(SERVICE_PATH, ROUTES, {"reservations": HEADER.set_name, "reservation_items": ITEM.set_name})
