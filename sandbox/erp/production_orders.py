"""API_PRODUCTION_ORDER_2_SRV: `A_ProductionOrder_2` with its components (`A_ProductionOrderComponent_2`),
read, created (a sandbox convenience: SAP creates orders in MRP or CO01), quantity and dates changed, and
the status function imports ReleaseProductionOrder, CompleteTechnicallyProdnOrd (TECO), CloseProdnOrd and
SetDeltnFlagProdnOrd.

Orders are numbered from 1000000 (SAP's PP01 range). The components come from the material's released
BOM in the plant, exploded once: at creation, or at the first read after the BOM sync released it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.erp import bom_rules
from sandbox.erp.bom_documents import BOM, ITEM, RELEASED
from sandbox.erp.edm import EntityType, Prop, format_entity, midnight_ms
from sandbox.erp.entities import UPDATE_METHODS, apply_payload, entity_reply, load_entity, updated_reply
from sandbox.erp.errors import FIELD_INVALID, UNKNOWN_ORDER, UNKNOWN_PLANT, ODataError, bad_request
from sandbox.erp.filter import literal_value, tokenize
from sandbox.erp.handlers import collection_reply, expanded_entity_reply, service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_PRODUCTION_ORDER_2_SRV"
NS = "API_PRODUCTION_ORDER_2_SRV"
NAV = "to_ProductionOrderComponent"
DAY_MS, SCHEDULED_DAYS = 86_400_000, 7  # an order given no dates is scheduled over a week from today
CHANGEABLE = ("MfgOrderPlannedTotalQty", "MfgOrderPlannedStartDate", "MfgOrderPlannedEndDate")

ORDER = EntityType(
    NS,
    "A_ProductionOrder_2Type",
    "A_ProductionOrder_2",
    ("ManufacturingOrder",),
    (
        Prop("ManufacturingOrder", max_len=12, read_only=True),
        Prop("ManufacturingOrderType", max_len=4, default="PP01"),
        Prop("ManufacturingOrderCategory", max_len=2, default="10", read_only=True),
        Prop("ManufacturingOrderText", max_len=40),
        Prop("Material", max_len=40),
        Prop("ProductionPlant", max_len=4, default="1000"),
        Prop("ProductionVersion", max_len=4),
        Prop("ProductionUnit", max_len=3, default="EA"),
        Prop("MfgOrderPlannedTotalQty", "Edm.Decimal", scale=3, default="0.000"),
        Prop("MfgOrderPlannedScrapQty", "Edm.Decimal", scale=3, default="0.000"),
        Prop("MfgOrderConfirmedYieldQty", "Edm.Decimal", scale=3, default="0.000", read_only=True),
        Prop("MfgOrderConfirmedScrapQty", "Edm.Decimal", scale=3, default="0.000", read_only=True),
        Prop("MfgOrderPlannedStartDate", "Edm.DateTime", default=None),
        Prop("MfgOrderPlannedEndDate", "Edm.DateTime", default=None),
        Prop("StorageLocation", max_len=4, default="0002"),
        Prop("OrderIsCreated", "Edm.Boolean", default=True, read_only=True),
        Prop("OrderIsReleased", "Edm.Boolean", default=False, read_only=True),
        Prop("OrderIsPartiallyConfirmed", "Edm.Boolean", default=False, read_only=True),
        Prop("OrderIsConfirmed", "Edm.Boolean", default=False, read_only=True),
        Prop("OrderIsTechnicallyCompleted", "Edm.Boolean", default=False, read_only=True),
        Prop("OrderIsClosed", "Edm.Boolean", default=False, read_only=True),
        Prop("OrderIsMarkedForDeletion", "Edm.Boolean", default=False, read_only=True),
        Prop("MfgOrderCreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("CreatedByUser", max_len=12, read_only=True),
        Prop("LastChangeDateTime", "Edm.DateTimeOffset", default=None, read_only=True),
    ),
    navs=(NAV,),
)

COMPONENT = EntityType(
    NS,
    "A_ProductionOrderComponent_2Type",
    "A_ProductionOrderComponent_2",
    ("Reservation", "ReservationItem"),
    (
        Prop("Reservation", max_len=10, read_only=True),
        Prop("ReservationItem", max_len=4, read_only=True),
        Prop("ManufacturingOrder", max_len=12, read_only=True),
        Prop("Material", max_len=40, read_only=True),
        Prop("Plant", max_len=4, read_only=True),
        Prop("StorageLocation", max_len=4, read_only=True),
        Prop("BillOfMaterialItemNumber", max_len=4, read_only=True),
        Prop("BaseUnit", max_len=3, read_only=True),
        Prop("RequiredQuantity", "Edm.Decimal", scale=3, default="0.000", read_only=True),
        Prop("WithdrawnQuantity", "Edm.Decimal", scale=3, default="0.000", read_only=True),
    ),
)


def _released_bom_items(system: ERPSystem, material: str, plant: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    released = [
        h
        for h in system.store.children(BOM.set_name, material)
        if h["Plant"] == plant and h.get("BOMVersionStatus") in ("", RELEASED) and not h.get("IsMarkedForDeletion")
    ]
    if not released:
        return {}, []
    header = max(released, key=lambda h: (bool(h.get("IsLatestBOMVersion")), h.get("BillOfMaterialVersion", "")))
    return header, system.store.children(ITEM.set_name, BOM.key_of(header))


def explode_components(system: ERPSystem, order: dict[str, Any]) -> None:
    """Copy the released BOM's items into the order once (scaled to its quantity); no BOM yet: nothing."""
    key = order["ManufacturingOrder"]
    if order.get("__exploded") or system.store.children(COMPONENT.set_name, key):
        return
    header, items = _released_bom_items(system, order["Material"], order["ProductionPlant"])
    if not items:
        return
    base = Decimal(header.get("BOMHeaderQuantityInBaseUnit") or "1") or Decimal(1)
    factor = Decimal(order["MfgOrderPlannedTotalQty"]) / base
    reservation = str(1_000_000 + int(key) % 1_000_000)
    for number, item in enumerate(sorted(items, key=lambda i: i["BillOfMaterialItemNumber"]), 1):
        component = {
            "Reservation": reservation,
            "ReservationItem": str(number).zfill(4),
            "ManufacturingOrder": key,
            "Material": item["BillOfMaterialComponent"],
            "Plant": order["ProductionPlant"],
            "StorageLocation": order["StorageLocation"],
            "BillOfMaterialItemNumber": item["BillOfMaterialItemNumber"],
            "BaseUnit": item["BillOfMaterialItemUnit"],
            "RequiredQuantity": f"{Decimal(item['BillOfMaterialItemQuantity']) * factor:.3f}",
            "WithdrawnQuantity": "0.000",
        }
        system.store.put(COMPONENT.set_name, COMPONENT.key_of(component), component, parent=key)
    order["__exploded"] = True
    system.store.put(ORDER.set_name, key, order)


def create_order(
    system: ERPSystem, payload: dict[str, Any], user: str, *, released: bool = False, check_material: bool = True
) -> dict[str, Any]:
    doc = apply_payload(ORDER, ORDER.defaults(), payload, creating=True)
    where = "production order (new)"
    if not system.plant_known(doc["ProductionPlant"]):
        raise ODataError(400, UNKNOWN_PLANT, f"Plant '{doc['ProductionPlant']}' does not exist ({where})")
    if check_material:
        bom_rules.material_in_plant(system, doc["Material"], doc["ProductionPlant"], "Material", where)
    if Decimal(doc["MfgOrderPlannedTotalQty"]) <= 0:
        raise bad_request(f"Enter a total quantity greater than zero ({where})", target="MfgOrderPlannedTotalQty")
    us = system.now()
    start = doc["MfgOrderPlannedStartDate"] or midnight_ms(us)  # SAP's scheduling fills missing dates
    doc.update(
        MfgOrderPlannedStartDate=start,
        MfgOrderPlannedEndDate=doc["MfgOrderPlannedEndDate"] or start + SCHEDULED_DAYS * DAY_MS,
        ManufacturingOrder=str(1_000_000 + system.store.next_number("production_order")),
        MfgOrderCreationDate=midnight_ms(us),
        CreatedByUser=user[:12],
        OrderIsReleased=released,
        LastChangeDateTime=us,
        __ts=us,
    )
    system.store.put(ORDER.set_name, doc["ManufacturingOrder"], doc)
    explode_components(system, doc)
    return doc


def _components(system: ERPSystem, order: dict[str, Any]) -> list[dict[str, Any]]:
    explode_components(system, order)
    docs = system.store.children(COMPONENT.set_name, order["ManufacturingOrder"])
    return sorted(docs, key=lambda c: c["ReservationItem"])


def _expander(system: ERPSystem, root: str):
    def expand(doc: dict[str, Any], nav: str) -> list[dict[str, Any]]:
        return [format_entity(COMPONENT, c, root) for c in _components(system, doc)]

    return expand


def get_order(system: ERPSystem, number: str) -> dict[str, Any]:
    doc = system.store.get(ORDER.set_name, number)
    if doc is None:
        raise ODataError(404, UNKNOWN_ORDER, f"Order {number} does not exist", target="ManufacturingOrder")
    return doc


def touch(system: ERPSystem, doc: dict[str, Any]) -> None:
    us = system.now()
    doc.update(LastChangeDateTime=us, __ts=us)
    system.store.put(ORDER.set_name, doc["ManufacturingOrder"], doc)


def orders(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        return collection_reply(system, call, ORDER, expander=_expander(system, call.service_root))
    if call.method == "POST":
        doc = create_order(system, call.json(), call.user)
        return entity_reply(ORDER, doc, call, status=201, writes=1)
    raise method_not_allowed(call)


def order(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, ORDER, call)
    if call.method == "GET":
        return expanded_entity_reply(call, ORDER, doc, _expander(system, call.service_root))
    if call.method not in UPDATE_METHODS:
        raise method_not_allowed(call)
    where = f"production order {doc['ManufacturingOrder']}"
    payload = call.json()
    not_changeable = sorted(set(payload) - set(CHANGEABLE) - {"__metadata", "ManufacturingOrder"})
    if not_changeable:
        raise bad_request(f"{', '.join(not_changeable)} cannot be changed ({where})", target=not_changeable[0])
    if doc["OrderIsTechnicallyCompleted"] or doc["OrderIsClosed"] or doc["OrderIsMarkedForDeletion"]:
        raise bad_request(f"{where} is technically completed or closed and cannot be changed", code=FIELD_INVALID)
    doc = apply_payload(ORDER, doc, payload, creating=False)
    if Decimal(doc["MfgOrderPlannedTotalQty"]) <= 0:
        raise bad_request(f"Enter a total quantity greater than zero ({where})", target="MfgOrderPlannedTotalQty")
    touch(system, doc)
    return updated_reply(ORDER, doc, writes=1)


def components(system: ERPSystem, call: Call) -> Reply:
    if call.method != "GET":
        raise method_not_allowed(call)
    return collection_reply(
        system, call, COMPONENT, [c for o in system.store.all(ORDER.set_name) for c in _components(system, o)]
    )


def order_components(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, ORDER, call)
    if call.method != "GET":
        raise method_not_allowed(call)
    return collection_reply(system, call, COMPONENT, _components(system, doc))


def _status_action(flag: str, requires_release: bool):
    """A function import `?ManufacturingOrder='1000001'` that sets one status flag (idempotent, as in SAP)."""

    def action(system: ERPSystem, call: Call) -> Reply:
        if call.method != "POST":
            raise method_not_allowed(call)
        raw = call.query.get("ManufacturingOrder", "")
        tokens = tokenize(raw) if raw else []
        if len(tokens) != 1 or tokens[0][0] != "str":
            raise bad_request("Parameter ManufacturingOrder must be a quoted literal", target="ManufacturingOrder")
        doc = get_order(system, str(literal_value(*tokens[0])))
        if requires_release and not doc["OrderIsReleased"]:
            raise bad_request(f"Order {doc['ManufacturingOrder']} is not released", code=FIELD_INVALID)
        writes = 0
        if not doc[flag]:
            doc[flag] = True
            touch(system, doc)
            writes = 1
        return entity_reply(ORDER, doc, call, writes=writes)

    return action


ROUTES = [
    *service_routes(NS, [ORDER, COMPONENT]),
    ServiceRoute("/A_ProductionOrder_2", ("GET", "POST"), orders),
    ServiceRoute("/A_ProductionOrder_2({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), order),
    ServiceRoute(f"/A_ProductionOrder_2({{key}})/{NAV}", ("GET",), order_components),
    ServiceRoute("/A_ProductionOrderComponent_2", ("GET",), components),
    ServiceRoute("/ReleaseProductionOrder", ("POST",), _status_action("OrderIsReleased", False)),
    ServiceRoute("/CompleteTechnicallyProdnOrd", ("POST",), _status_action("OrderIsTechnicallyCompleted", True)),
    ServiceRoute("/CloseProdnOrd", ("POST",), _status_action("OrderIsClosed", False)),
    ServiceRoute("/SetDeltnFlagProdnOrd", ("POST",), _status_action("OrderIsMarkedForDeletion", False)),
]

register_service(
    SERVICE_PATH,
    ROUTES,
    {
        "production_orders": ORDER.set_name,
        "released_production_orders": lambda store: sum(
            1 for o in store.all(ORDER.set_name) if o["OrderIsReleased"] and not o["OrderIsTechnicallyCompleted"]
        ),
    },
)
