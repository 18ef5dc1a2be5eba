"""API_MAINTENANCEORDER;v=0002: `MaintenanceOrder` headers, read and create.

Orders are numbered from 4000000 (SAP's default range for PM orders). Operations, components, status
changes (release, technical completion) and updates are not imitated: an order is created released
(`MaintOrdProcessingContext` empty, `OrderIsReleased` true) so reservations and goods issues can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.erp.edm import EntityType, Prop, midnight_ms
from sandbox.erp.entities import apply_payload, entity_reply, load_entity
from sandbox.erp.equipment import EQUIPMENT
from sandbox.erp.errors import FIELD_INVALID, UNKNOWN_EQUIPMENT, UNKNOWN_PLANT, ODataError, bad_request
from sandbox.erp.handlers import collection_reply, service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_MAINTENANCEORDER;v=0002"
NS = "API_MAINTENANCEORDER"
ORDER_TYPES = {"PM01", "PM02", "PM03"}  # corrective, preventive, refurbishment

ORDER = EntityType(
    NS,
    "MaintenanceOrderType",
    "MaintenanceOrder",
    ("MaintenanceOrder",),
    (
        Prop("MaintenanceOrder", max_len=12, read_only=True),
        Prop("MaintenanceOrderType", max_len=4, default="PM01"),
        Prop("MaintenanceOrderDesc", max_len=40),
        Prop("MaintOrdBasicStartDate", "Edm.DateTime", default=None),
        Prop("MaintOrdBasicEndDate", "Edm.DateTime", default=None),
        Prop("MaintenancePlanningPlant", max_len=4, default="1000"),
        Prop("MaintenancePlant", max_len=4, default="1000"),
        Prop("MainWorkCenter", max_len=8),
        Prop("MainWorkCenterPlant", max_len=4),
        Prop("MaintPriority", max_len=1),
        Prop("MaintenanceActivityType", max_len=3),
        Prop("Equipment", max_len=18),
        Prop("FunctionalLocation", max_len=40),
        Prop("MaintenanceNotification", max_len=12),
        Prop("CostCenter", max_len=10),
        Prop("ControllingArea", max_len=4),
        Prop("MaintOrdProcessingContext", max_len=2),
        Prop("OrderIsReleased", "Edm.Boolean", default=True, read_only=True),
        Prop("CreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("CreatedByUser", max_len=12, read_only=True),
        Prop("LastChangeDateTime", "Edm.DateTimeOffset", default=None, read_only=True),
    ),
)


def create_order(system: ERPSystem, payload: dict[str, Any], user: str) -> dict[str, Any]:
    doc = apply_payload(ORDER, ORDER.defaults(), payload, creating=True)
    where = "maintenance order (new)"
    if doc["MaintenanceOrderType"] not in ORDER_TYPES:
        raise bad_request(
            f"Order type '{doc['MaintenanceOrderType']}' is not defined ({where})",
            target="MaintenanceOrderType",
            code=FIELD_INVALID,
        )
    if not doc["MaintenanceOrderDesc"]:
        raise bad_request(
            f"MaintenanceOrderDesc is required ({where})", target="MaintenanceOrderDesc", code=FIELD_INVALID
        )
    for field in ("MaintenancePlanningPlant", "MaintenancePlant"):
        if not system.plant_known(doc[field]):
            raise ODataError(
                400, UNKNOWN_PLANT, f"Plant '{doc[field]}' does not exist ({where}, {field})", target=field
            )
    if doc["Equipment"] and system.store.get(EQUIPMENT.set_name, doc["Equipment"]) is None:
        raise ODataError(
            400, UNKNOWN_EQUIPMENT, f"Equipment {doc['Equipment']} does not exist ({where})", target="Equipment"
        )
    us = system.now()
    doc.update(
        MaintenanceOrder=str(4_000_000 + system.store.next_number("maintenance_order")),
        CreationDate=midnight_ms(us),
        CreatedByUser=user[:12],
        LastChangeDateTime=us,
        __ts=us,
        MaintOrdBasicStartDate=doc["MaintOrdBasicStartDate"] or midnight_ms(us),
    )
    system.store.put(ORDER.set_name, doc["MaintenanceOrder"], doc, parent=doc["Equipment"])
    return doc


def orders(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        return collection_reply(system, call, ORDER)
    if call.method == "POST":
        return entity_reply(ORDER, create_order(system, call.json(), call.user), call, status=201, writes=1)
    raise method_not_allowed(call)


def order(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, ORDER, call)
    if call.method == "GET":
        return entity_reply(ORDER, doc, call)
    raise method_not_allowed(call)  # updates and status changes are not imitated


ROUTES = [
    *service_routes(NS, [ORDER]),
    ServiceRoute("/MaintenanceOrder", ("GET", "POST"), orders),
    ServiceRoute("/MaintenanceOrder({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), order),
]

register_service(SERVICE_PATH, ROUTES, {"maintenance_orders": ORDER.set_name})
