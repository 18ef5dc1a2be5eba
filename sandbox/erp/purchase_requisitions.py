"""API_PURCHASEREQ_PROCESS_SRV: A_PurchaseRequisitionHeader with its items (A_PurchaseRequisitionItem).

Created by deep insert (`to_PurchaseReqnItem`), numbered from 10000000 as SAP's internal number range does;
each item needs a material known in its plant and a quantity > 0. Items carry `PurchaseRequisitionItemText`,
the caller's reference (mfg-sync keys a requisition by it and looks it up before creating again). Read and
create only: release and conversion to purchase orders are beyond the sandbox.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sandbox.erp import bom_rules
from sandbox.erp.edm import EntityType, Prop, format_entity, midnight_ms
from sandbox.erp.entities import apply_payload, entity_reply, load_entity, nav_list
from sandbox.erp.errors import FIELD_INVALID, METHOD_NOT_ALLOWED, UNKNOWN_PLANT, ODataError, bad_request
from sandbox.erp.handlers import collection_reply, expanded_entity_reply, service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_PURCHASEREQ_PROCESS_SRV"
NS = "API_PURCHASEREQ_PROCESS_SRV"
NAV = "to_PurchaseReqnItem"

HEADER = EntityType(
    NS,
    "A_PurchaseRequisitionHeaderType",
    "A_PurchaseRequisitionHeader",
    ("PurchaseRequisition",),
    (
        Prop("PurchaseRequisition", max_len=10, read_only=True),
        Prop("PurchaseRequisitionType", max_len=4, default="NB"),
        Prop("PurReqnDescription", max_len=40),
        Prop("SourceDetermination", "Edm.Boolean", default=False),
    ),
    navs=(NAV,),
)

ITEM = EntityType(
    NS,
    "A_PurchaseRequisitionItemType",
    "A_PurchaseRequisitionItem",
    ("PurchaseRequisition", "PurchaseRequisitionItem"),
    (
        Prop("PurchaseRequisition", max_len=10, read_only=True),
        Prop("PurchaseRequisitionItem", max_len=5),
        Prop("PurchaseRequisitionType", max_len=4, default="NB", read_only=True),
        Prop("Material", max_len=40),
        Prop("Plant", max_len=4),
        Prop("StorageLocation", max_len=4),
        Prop("RequestedQuantity", "Edm.Decimal", scale=3, default="0.000"),
        Prop("BaseUnit", max_len=3, read_only=True),
        Prop("PurchasingGroup", max_len=3, default="001"),
        Prop("DeliveryDate", "Edm.DateTime", default=None),
        Prop("RequisitionerName", max_len=12),
        Prop("PurchaseRequisitionItemText", max_len=40),
        Prop("PurchasingDocumentItemCategory", max_len=1, default="0"),
        Prop("AccountAssignmentCategory", max_len=1),
        Prop("ProcessingStatus", max_len=1, default="N", read_only=True),  # N: not edited (no PO yet)
        Prop("IsDeleted", "Edm.Boolean", default=False, read_only=True),
        Prop("CreationDate", "Edm.DateTime", default=None, read_only=True),
    ),
)


def create_requisition(system: ERPSystem, payload: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    doc = apply_payload(HEADER, HEADER.defaults(), payload, creating=True)
    items = nav_list(payload, NAV)
    if not items:
        raise bad_request(f"Purchase requisition needs at least one item ({NAV})", target=NAV)
    doc["PurchaseRequisition"] = str(10_000_000 + system.store.next_number("purchase_requisition"))
    created = [_item(system, doc, child, pos) for pos, child in enumerate(items, start=1)]
    system.store.put(HEADER.set_name, doc["PurchaseRequisition"], doc)
    for item in created:
        system.store.put(ITEM.set_name, ITEM.key_of(item), item, parent=doc["PurchaseRequisition"])
    return doc, created


def _item(system: ERPSystem, header: dict[str, Any], payload: dict[str, Any], position: int) -> dict[str, Any]:
    item = apply_payload(ITEM, ITEM.defaults(), payload, creating=True)
    item["PurchaseRequisition"] = header["PurchaseRequisition"]
    item["PurchaseRequisitionItem"] = item["PurchaseRequisitionItem"] or str(position * 10)
    where = f"purchase requisition item {item['PurchaseRequisitionItem']}"
    if not system.plant_known(item["Plant"]):
        raise ODataError(400, UNKNOWN_PLANT, f"Plant '{item['Plant']}' does not exist ({where})", target="Plant")
    product = bom_rules.material_in_plant(system, item["Material"], item["Plant"], "Material", where)
    try:
        quantity = Decimal(str(item["RequestedQuantity"]))
    except InvalidOperation:
        quantity = Decimal(0)
    if quantity <= 0:
        raise ODataError(400, FIELD_INVALID, f"Requested quantity must be > 0 ({where})", target="RequestedQuantity")
    item.update(
        BaseUnit=product["BaseUnit"],
        PurchaseRequisitionType=header["PurchaseRequisitionType"],
        CreationDate=midnight_ms(system.now()),
    )
    return item


def _items_of(system: ERPSystem, requisition: str) -> list[dict[str, Any]]:
    return sorted(system.store.children(ITEM.set_name, requisition), key=lambda i: int(i["PurchaseRequisitionItem"]))


def _expander(system: ERPSystem, root: str):
    def expand(doc: dict[str, Any], nav: str) -> list[dict[str, Any]]:
        return [format_entity(ITEM, i, root) for i in _items_of(system, doc["PurchaseRequisition"])]

    return expand


def headers(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        return collection_reply(system, call, HEADER, expander=_expander(system, call.service_root))
    if call.method == "POST":
        doc, items = create_requisition(system, call.json())
        body = format_entity(HEADER, doc, call.service_root)
        body[NAV] = {"results": _expander(system, call.service_root)(doc, NAV)}
        return entity_reply(HEADER, doc, call, status=201, writes=1 + len(items), body=body)
    raise method_not_allowed(call)


def header(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, HEADER, call)
    if call.method == "GET":
        return expanded_entity_reply(call, HEADER, doc, _expander(system, call.service_root))
    raise ODataError(
        405, METHOD_NOT_ALLOWED, f"Purchase requisition {doc['PurchaseRequisition']} cannot be changed here"
    )


def item_collection(system: ERPSystem, call: Call) -> Reply:
    if call.method != "GET":
        raise method_not_allowed(call)  # items are created with their header
    return collection_reply(system, call, ITEM)


ROUTES = [
    *service_routes(NS, [HEADER, ITEM]),
    ServiceRoute("/A_PurchaseRequisitionHeader", ("GET", "POST"), headers),
    ServiceRoute("/A_PurchaseRequisitionHeader({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), header),
    ServiceRoute("/A_PurchaseRequisitionItem", ("GET",), item_collection),
]

register_service(
    SERVICE_PATH, ROUTES, {"purchase_requisitions": HEADER.set_name, "purchase_requisition_items": ITEM.set_name}
)
