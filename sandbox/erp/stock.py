"""API_MATERIAL_STOCK_SRV: A_MatlStkInAcctMod, stock per material/plant/storage location (read-only).

Only unrestricted-use stock (InventoryStockType '01') without batch or special stock is kept; goods
movements (material_documents.py) change it through `move_stock`, which refuses a deficit with SAP's M7 021.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.erp.edm import EntityType, Prop
from sandbox.erp.entities import entity_reply, load_entity
from sandbox.erp.errors import STOCK_DEFICIT, UNKNOWN_STORAGE_LOCATION, ODataError
from sandbox.erp.handlers import collection_reply, service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.query import prefilter_values
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_MATERIAL_STOCK_SRV"
NS = "API_MATERIAL_STOCK_SRV"
STORAGE_LOCATION_SET = "_StorageLocation"
UNRESTRICTED = "01"

STOCK = EntityType(
    NS,
    "A_MatlStkInAcctModType",
    "A_MatlStkInAcctMod",
    (
        "Material",
        "Plant",
        "StorageLocation",
        "Batch",
        "Supplier",
        "Customer",
        "WBSElementInternalID",
        "SDDocument",
        "SDDocumentItem",
        "InventorySpecialStockType",
        "InventoryStockType",
    ),
    (
        Prop("Material", max_len=40),
        Prop("Plant", max_len=4),
        Prop("StorageLocation", max_len=4),
        Prop("Batch", max_len=10),
        Prop("Supplier", max_len=10),
        Prop("Customer", max_len=10),
        Prop("WBSElementInternalID", max_len=24),
        Prop("SDDocument", max_len=10),
        Prop("SDDocumentItem", max_len=6),
        Prop("InventorySpecialStockType", max_len=1),
        Prop("InventoryStockType", max_len=2, default=UNRESTRICTED),
        Prop("MaterialBaseUnit", max_len=3),
        Prop("MatlWrhsStkQtyInMatlBaseUnit", "Edm.Decimal", scale=3, default="0.000"),
    ),
)


# --- domain operations (used by goods movements and by seeding) -----------------------------------------


def storage_location_known(system: ERPSystem, plant: str, storage_location: str) -> bool:
    return system.store.get(STORAGE_LOCATION_SET, f"{plant}\x1f{storage_location}") is not None


def check_storage_location(system: ERPSystem, plant: str, storage_location: str, where: str) -> None:
    if not storage_location_known(system, plant, storage_location):
        raise ODataError(
            400,
            UNKNOWN_STORAGE_LOCATION,
            f"Storage location {storage_location or '(empty)'} does not exist in plant {plant} ({where})",
            target="StorageLocation",
        )


def _stock_doc(material: str, plant: str, storage_location: str, unit: str) -> dict[str, Any]:
    return {
        **STOCK.defaults(),
        "Material": material,
        "Plant": plant,
        "StorageLocation": storage_location,
        "MaterialBaseUnit": unit,
    }


def unrestricted_stock(system: ERPSystem, material: str, plant: str, storage_location: str) -> Decimal:
    doc = system.store.get(STOCK.set_name, STOCK.key_of(_stock_doc(material, plant, storage_location, "")))
    return Decimal(doc["MatlWrhsStkQtyInMatlBaseUnit"]) if doc else Decimal(0)


def move_stock(system: ERPSystem, material: str, plant: str, storage_location: str, delta: Decimal, unit: str) -> None:
    """Add `delta` (negative: issue) to unrestricted-use stock; a result below zero is SAP's M7 021."""
    key = STOCK.key_of(_stock_doc(material, plant, storage_location, unit))
    doc = system.store.get(STOCK.set_name, key) or _stock_doc(material, plant, storage_location, unit)
    after = Decimal(doc["MatlWrhsStkQtyInMatlBaseUnit"]) + delta
    if after < 0:
        raise ODataError(
            400,
            STOCK_DEFICIT,
            f"Deficit of SL Unrestricted-use {-after:f} {unit} : {material} {plant} {storage_location}",
            target="QuantityInEntryUnit",
        )
    doc["MatlWrhsStkQtyInMatlBaseUnit"] = str(after.quantize(Decimal("0.001")))
    system.store.put(STOCK.set_name, key, doc, parent=material)


# --- handlers -----------------------------------------------------------------------------------------------


def stock_collection(system: ERPSystem, call: Call) -> Reply:
    if call.method != "GET":
        raise method_not_allowed(call)  # the service is read-only: stock changes by goods movements
    materials = prefilter_values(call.query, STOCK, "Material")
    docs = (
        system.store.all(STOCK.set_name)
        if materials is None
        else [d for m in sorted(materials) for d in system.store.children(STOCK.set_name, m)]
    )
    return collection_reply(system, call, STOCK, docs)


def stock_entity(system: ERPSystem, call: Call) -> Reply:
    if call.method != "GET":
        raise method_not_allowed(call)
    return entity_reply(STOCK, load_entity(system, STOCK, call), call)


ROUTES = [
    *service_routes(NS, [STOCK]),
    ServiceRoute("/A_MatlStkInAcctMod", ("GET", "POST", "PUT", "PATCH", "MERGE", "DELETE"), stock_collection),
    ServiceRoute("/A_MatlStkInAcctMod({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), stock_entity),
]

register_service(SERVICE_PATH, ROUTES, {"stock_records": STOCK.set_name, "storage_locations": STORAGE_LOCATION_SET})
