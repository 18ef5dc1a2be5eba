"""What the ERP holds on day one: plant 1000 with its storage locations, the units of measure, a few
purchased materials with spare-part stock, and the plant's equipment with one open maintenance order."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from sandbox.catalog import CatalogPart, build_catalog
from sandbox.erp.equipment import create_equipment
from sandbox.erp.maintenance_orders import create_order
from sandbox.erp.production_seed import seed_production_orders
from sandbox.erp.products import create_product
from sandbox.erp.stock import STORAGE_LOCATION_SET, move_stock
from sandbox.erp.system import PLANT_SET, UNIT_SET

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

PLANTS = {"1000": "Main Plant"}
STORAGE_LOCATIONS = {("1000", "0001"): "Spare parts store", ("1000", "0002"): "Production store"}
# (name, technical object type, functional location, cost centre, manufacturer, serial number) of the plant's
# equipment, numbered 10000001... in the order of the EAM sandbox's assets, whose externalrefid names them
EQUIPMENT = (
    ("Duplex pump skid PS-200, train A", "PUMP", "PUMPHOUSE-1", "CC4100", "KSB", "KSB-7731-01"),
    ("Duplex pump skid PS-200, train B", "PUMP", "PUMPHOUSE-1", "CC4100", "KSB", "KSB-7731-02"),
    ("Belt conveyor CM-1200, infeed", "CONVEYOR", "LINE1-INFEED", "CC4200", "SEW-Eurodrive", "SEW-4410-22"),
    ("Belt conveyor CM-1200, outfeed", "CONVEYOR", "LINE1-OUTFEED", "CC4200", "SEW-Eurodrive", "SEW-4410-23"),
    ("Main control cabinet CC-800", "PANEL", "LINE1-MCC", "CC4300", "Rittal", "RIT-9902-03"),
    ("Pump house control cabinet CC-800", "PANEL", "PUMPHOUSE-1", "CC4300", "Rittal", "RIT-9902-04"),
)
# SAP's commercial unit codes (T006): piece, lengths, masses, volumes, areas
UNITS = {
    "EA": "each",
    "PC": "piece",
    "M": "meter",
    "MM": "millimeter",
    "CM": "centimeter",
    "KM": "kilometer",
    "KG": "kilogram",
    "G": "gram",
    "TO": "ton",
    "L": "liter",
    "ML": "milliliter",
    "M2": "square meter",
    "M3": "cubic meter",
    "SET": "set",
    "PAK": "pack",
    "ROL": "roll",
}
# PLM unit -> the ERP base unit of a preloaded material (the sync does its own conversion)
SEED_UNIT = {"EA": "EA", "mm": "M", "m": "M", "g": "KG", "kg": "KG", "L": "L", "ml": "L"}
SEED_USER = "SANDBOX"
PRELOADED = 8


def product_type(part: CatalogPart) -> str:
    """Bulk and length goods are raw materials (ROH); counted catalogue parts are trading goods (HAWA)."""
    return "HAWA" if SEED_UNIT.get(part.uom, "EA") == "EA" else "ROH"


def product_group(category: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", category.upper())[:9] or "MISC"


@functools.lru_cache(maxsize=8)
def preloaded_parts(profile: str, seed_value: int, params: tuple[tuple[str, int], ...]) -> tuple[CatalogPart, ...]:
    """The catalog's first purchased parts; cached because the catalog is deterministic per profile + seed."""
    return tuple(build_catalog(profile, seed_value, **dict(params)).purchased_parts()[:PRELOADED])


def seed(system: ERPSystem, profile: str, seed_value: int) -> None:
    """Wipe and reseed in one transaction (the caller decides when: empty database or POST /_sandbox/reset)."""
    store = system.store
    with store.transaction():
        store.clear()
        for plant, name in PLANTS.items():
            store.put(PLANT_SET, plant, {"Plant": plant, "PlantName": name})
        for unit, name in UNITS.items():
            store.put(UNIT_SET, unit, {"UnitOfMeasure": unit, "UnitOfMeasureName": name})
        params = tuple(sorted(system.settings.catalog_params().items()))
        for part in preloaded_parts(profile, seed_value, params):
            create_product(
                system,
                {
                    "Product": part.number,
                    "ProductType": product_type(part),
                    "BaseUnit": SEED_UNIT[part.uom],
                    "ProductGroup": product_group(part.category),
                    "ProductOldID": f"{part.number}/{part.revision}",
                    "to_Description": [{"Language": "EN", "ProductDescription": part.name[:40]}],
                    "to_Plant": [{"Plant": "1000", "ProcurementType": "F", "MRPType": "PD"}],
                },
                SEED_USER,
            )
        _seed_maintenance(system, preloaded_parts(profile, seed_value, params))
        seed_production_orders(system, build_catalog(profile, seed_value, **dict(params)))


def _seed_maintenance(system: ERPSystem, parts: tuple[CatalogPart, ...]) -> None:
    """Spare-part stock in both storage locations, the equipment, and a corrective order on the pump."""
    for (plant, location), name in STORAGE_LOCATIONS.items():
        system.store.put(
            STORAGE_LOCATION_SET,
            f"{plant}\x1f{location}",
            {"Plant": plant, "StorageLocation": location, "StorageLocationName": name},
        )
    for index, part in enumerate(parts):
        unit = SEED_UNIT[part.uom]
        move_stock(system, part.number, "1000", "0001", Decimal(100 + 10 * index), unit)
        if index % 2 == 0:
            move_stock(system, part.number, "1000", "0002", Decimal(20), unit)
    for name, object_type, location, cost_centre, manufacturer, serial in EQUIPMENT:
        create_equipment(
            system,
            {
                "EquipmentName": name,
                "TechnicalObjectType": object_type,
                "FunctionalLocation": location,
                "CostCenter": cost_centre,
                "AssetManufacturerName": manufacturer,
                "ManufacturerSerialNumber": serial,
                "MaintenancePlant": "1000",
                "MaintenancePlanningPlant": "1000",
            },
            SEED_USER,
        )
    create_order(
        system,
        {"MaintenanceOrderType": "PM01", "MaintenanceOrderDesc": "Replace pump seal P-101", "Equipment": "10000001"},
        SEED_USER,
    )
