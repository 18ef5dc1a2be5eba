"""API_PROD_ORDER_CONFIRMATION_2_SRV: confirmations of production orders (`ProdnOrdConf2`), read and created.

A confirmation carries the yield and scrap of the order's operation (default 0010), the final-confirmation
flag (`FinalConfirmationType` '1' final, '' partial) and a free `ConfirmationText` (40 characters), which
an integration uses as its idempotency key. Creating one adds its yield and scrap to the order and sets
OrderIsPartiallyConfirmed or OrderIsConfirmed; the order must be released and not technically completed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.erp.edm import EntityType, Prop, midnight_ms
from sandbox.erp.entities import apply_payload, entity_reply, load_entity
from sandbox.erp.errors import FIELD_INVALID, bad_request
from sandbox.erp.handlers import collection_reply, service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.production_orders import get_order, touch
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV"
NS = "API_PROD_ORDER_CONFIRMATION_2_SRV"
FINAL = "1"

CONFIRMATION = EntityType(
    NS,
    "ProdnOrdConf2Type",
    "ProdnOrdConf2",
    ("ConfirmationGroup", "ConfirmationCount"),
    (
        Prop("ConfirmationGroup", max_len=10, read_only=True),
        Prop("ConfirmationCount", max_len=8, read_only=True),
        Prop("OrderID", max_len=12),
        Prop("OrderOperation", max_len=4, default="0010"),
        Prop("Sequence", max_len=6, default="0"),
        Prop("Material", max_len=40, read_only=True),
        Prop("Plant", max_len=4, read_only=True),
        Prop("ConfirmationUnit", max_len=3),
        Prop("ConfirmationYieldQuantity", "Edm.Decimal", scale=3, default="0.000"),
        Prop("ConfirmationScrapQuantity", "Edm.Decimal", scale=3, default="0.000"),
        Prop("FinalConfirmationType", max_len=1),
        Prop("IsFinalConfirmation", "Edm.Boolean", default=False, read_only=True),
        Prop("ConfirmationText", max_len=40),
        Prop("Personnel", max_len=8),
        Prop("PostingDate", "Edm.DateTime", default=None),
        Prop("ConfirmedExecutionEndDate", "Edm.DateTime", default=None),
        Prop("EnteredByUser", max_len=12, read_only=True),
        Prop("ConfirmationEntryDate", "Edm.DateTime", default=None, read_only=True),
        Prop("IsReversed", "Edm.Boolean", default=False, read_only=True),
    ),
)


def create_confirmation(system: ERPSystem, payload: dict[str, Any], user: str) -> dict[str, Any]:
    doc = apply_payload(CONFIRMATION, CONFIRMATION.defaults(), payload, creating=True)
    order = get_order(system, doc["OrderID"])
    where = f"confirmation of order {doc['OrderID']}"
    if not order["OrderIsReleased"] or order["OrderIsTechnicallyCompleted"] or order["OrderIsClosed"]:
        raise bad_request(
            f"Order {doc['OrderID']} is not released or is already completed ({where})", code=FIELD_INVALID
        )
    yield_qty, scrap_qty = Decimal(doc["ConfirmationYieldQuantity"]), Decimal(doc["ConfirmationScrapQuantity"])
    if yield_qty < 0 or scrap_qty < 0 or yield_qty + scrap_qty <= 0:
        raise bad_request(f"Enter a yield or scrap quantity greater than zero ({where})", code=FIELD_INVALID)
    unit = doc["ConfirmationUnit"] or order["ProductionUnit"]
    if unit != order["ProductionUnit"]:
        raise bad_request(f"Unit {unit} differs from the order's unit {order['ProductionUnit']} ({where})")
    if doc["FinalConfirmationType"] not in ("", FINAL):
        raise bad_request(f"FinalConfirmationType must be '1' or empty ({where})", target="FinalConfirmationType")
    us = system.now()
    group = order.setdefault("__confirmation_group", str(system.store.next_number("confirmation_group")))
    count = str(system.store.next_number(f"confirmation_count_{group}"))
    final = doc["FinalConfirmationType"] == FINAL
    doc.update(
        ConfirmationGroup=group,
        ConfirmationCount=count,
        Material=order["Material"],
        Plant=order["ProductionPlant"],
        ConfirmationUnit=unit,
        IsFinalConfirmation=final,
        EnteredByUser=user[:12],
        ConfirmationEntryDate=midnight_ms(us),
        PostingDate=doc["PostingDate"] or midnight_ms(us),
    )
    system.store.put(CONFIRMATION.set_name, CONFIRMATION.key_of(doc), doc, parent=order["ManufacturingOrder"])
    order["MfgOrderConfirmedYieldQty"] = f"{Decimal(order['MfgOrderConfirmedYieldQty']) + yield_qty:.3f}"
    order["MfgOrderConfirmedScrapQty"] = f"{Decimal(order['MfgOrderConfirmedScrapQty']) + scrap_qty:.3f}"
    order["OrderIsConfirmed" if final else "OrderIsPartiallyConfirmed"] = True
    touch(system, order)
    return doc


def confirmations(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        return collection_reply(system, call, CONFIRMATION)
    if call.method == "POST":
        return entity_reply(
            CONFIRMATION, create_confirmation(system, call.json(), call.user), call, status=201, writes=2
        )
    raise method_not_allowed(call)


def confirmation(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, CONFIRMATION, call)
    if call.method == "GET":
        return entity_reply(CONFIRMATION, doc, call)
    raise method_not_allowed(call)  # a confirmation is cancelled, never changed (not imitated)


ROUTES = [
    *service_routes(NS, [CONFIRMATION]),
    ServiceRoute("/ProdnOrdConf2", ("GET", "POST"), confirmations),
    ServiceRoute("/ProdnOrdConf2({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), confirmation),
]

register_service(SERVICE_PATH, ROUTES, {"production_confirmations": CONFIRMATION.set_name})
