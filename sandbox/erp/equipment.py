"""API_EQUIPMENT: `Equipment` (technical objects for plant maintenance): read, create, update with ETag.

The sandbox keys an equipment by `Equipment` alone (SAP adds the time segment `ValidityEndDate`, always
9999-12-31 here). Numbers are assigned from 10000000 when the client sends none (internal numbering).
Equipment is never deleted through the API: `EquipmentIsMarkedForDeletion` is set by PATCH instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.erp.edm import EntityType, Prop, midnight_ms
from sandbox.erp.entities import (
    UPDATE_METHODS,
    apply_payload,
    check_if_match,
    entity_reply,
    load_entity,
    updated_reply,
)
from sandbox.erp.errors import FIELD_INVALID, METHOD_NOT_ALLOWED, UNKNOWN_PLANT, ODataError, bad_request
from sandbox.erp.handlers import collection_reply, service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.query import prefilter_values
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_EQUIPMENT"
NS = "API_EQUIPMENT"
FAR_FUTURE_MS = 253402214400000  # 9999-12-31
CATEGORIES = {"M", "P", "Q", "S"}  # machines, production resources, test equipment, customer equipment

EQUIPMENT = EntityType(
    NS,
    "EquipmentType",
    "Equipment",
    ("Equipment",),
    (
        Prop("Equipment", max_len=18),
        Prop("ValidityEndDate", "Edm.DateTime", default=FAR_FUTURE_MS, read_only=True),
        Prop("ValidityStartDate", "Edm.DateTime", default=None),
        Prop("EquipmentName", max_len=40),
        Prop("EquipmentCategory", max_len=1, default="M"),
        Prop("TechnicalObjectType", max_len=10),
        Prop("AuthorizationGroup", max_len=4),
        Prop("GrossWeight", "Edm.Decimal", scale=3, default="0.000"),
        Prop("GrossWeightUnit", max_len=3),
        Prop("SizeOrDimensionText", max_len=18),
        Prop("InventoryNumber", max_len=25),
        Prop("OperationStartDate", "Edm.DateTime", default=None),
        Prop("AssetManufacturerName", max_len=30),
        Prop("ManufacturerPartTypeName", max_len=20),
        Prop("ManufacturerCountry", max_len=3),
        Prop("ConstructionYear", max_len=4),
        Prop("ConstructionMonth", max_len=2),
        Prop("ManufacturerPartNmbr", max_len=30),
        Prop("ManufacturerSerialNumber", max_len=30),
        Prop("MaintenancePlant", max_len=4),
        Prop("AssetLocation", max_len=10),
        Prop("AssetRoom", max_len=8),
        Prop("PlantSection", max_len=3),
        Prop("WorkCenter", max_len=8),
        Prop("CostCenter", max_len=10),
        Prop("AcquisitionValue", "Edm.Decimal", scale=2, default=None),  # EQUI-ANSWT, in the company currency
        Prop("MaintenancePlanningPlant", max_len=4),
        Prop("MaintenancePlannerGroup", max_len=3),
        Prop("MainWorkCenter", max_len=8),
        Prop("FunctionalLocation", max_len=40),
        Prop("SuperordinateEquipment", max_len=18),
        Prop("Material", max_len=40),
        Prop("SerialNumber", max_len=18),
        Prop("EquipmentIsMarkedForDeletion", "Edm.Boolean", default=False),
        Prop("CreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("CreatedByUser", max_len=12, read_only=True),
        Prop("LastChangeDate", "Edm.DateTime", default=None, read_only=True),
        Prop("LastChangedByUser", max_len=12, read_only=True),
        Prop("LastChangeDateTime", "Edm.DateTimeOffset", default=None, read_only=True),
    ),
)


# --- domain operations (used by the handlers and by seeding) -------------------------------------------


def _touch(system: ERPSystem, doc: dict[str, Any], user: str) -> None:
    us = system.now()
    doc.update(LastChangeDateTime=us, LastChangeDate=midnight_ms(us), LastChangedByUser=user[:12], __ts=us)


def _validate(system: ERPSystem, doc: dict[str, Any]) -> None:
    where = f"equipment {doc['Equipment'] or '(new)'}"
    if not doc["EquipmentName"]:
        raise bad_request(f"EquipmentName is required ({where})", target="EquipmentName", code=FIELD_INVALID)
    if doc["EquipmentCategory"] not in CATEGORIES:
        raise bad_request(
            f"Equipment category '{doc['EquipmentCategory']}' is not defined ({where})",
            target="EquipmentCategory",
            code=FIELD_INVALID,
        )
    for field in ("MaintenancePlant", "MaintenancePlanningPlant"):
        if doc[field] and not system.plant_known(doc[field]):
            raise ODataError(
                400, UNKNOWN_PLANT, f"Plant '{doc[field]}' does not exist ({where}, {field})", target=field
            )


def create_equipment(system: ERPSystem, payload: dict[str, Any], user: str) -> dict[str, Any]:
    doc = apply_payload(EQUIPMENT, EQUIPMENT.defaults(), payload, creating=True)
    _validate(system, doc)
    if not doc["Equipment"]:
        doc["Equipment"] = str(10_000_000 + system.store.next_number("equipment"))
    doc["Equipment"] = doc["Equipment"].upper()
    if system.store.get(EQUIPMENT.set_name, doc["Equipment"]) is not None:
        raise ODataError(400, FIELD_INVALID, f"Equipment {doc['Equipment']} already exists", target="Equipment")
    us = system.now()
    doc.update(
        CreationDate=midnight_ms(us),
        CreatedByUser=user[:12],
        ValidityStartDate=doc["ValidityStartDate"] or midnight_ms(us),
    )
    _touch(system, doc, user)
    system.store.put(EQUIPMENT.set_name, doc["Equipment"], doc)
    return doc


# --- handlers -----------------------------------------------------------------------------------------------


def equipment_collection(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        wanted = prefilter_values(call.query, EQUIPMENT, "Equipment")
        docs = (
            system.store.all(EQUIPMENT.set_name)
            if wanted is None
            else [d for d in (system.store.get(EQUIPMENT.set_name, k) for k in sorted(wanted)) if d is not None]
        )
        return collection_reply(system, call, EQUIPMENT, docs)
    if call.method == "POST":
        doc = create_equipment(system, call.json(), call.user)
        return entity_reply(EQUIPMENT, doc, call, status=201, writes=1)
    raise method_not_allowed(call)


def equipment_entity(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, EQUIPMENT, call)
    if call.method == "GET":
        return entity_reply(EQUIPMENT, doc, call)
    if call.method in UPDATE_METHODS:
        check_if_match(call, doc, EQUIPMENT)
        new = apply_payload(EQUIPMENT, doc, call.json(), creating=False, replace=call.method == "PUT")
        _validate(system, new)
        _touch(system, new, call.user)
        system.store.put(EQUIPMENT.set_name, new["Equipment"], new)
        return updated_reply(EQUIPMENT, new, 1)
    if call.method == "DELETE":
        raise ODataError(
            405,
            METHOD_NOT_ALLOWED,
            f"Equipment {doc['Equipment']} cannot be deleted; set EquipmentIsMarkedForDeletion to true instead",
        )
    raise method_not_allowed(call)


ROUTES = [
    *service_routes(NS, [EQUIPMENT]),
    ServiceRoute("/Equipment", ("GET", "POST"), equipment_collection),
    ServiceRoute("/Equipment({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), equipment_entity),
]

register_service(SERVICE_PATH, ROUTES, {"equipment": EQUIPMENT.set_name})
