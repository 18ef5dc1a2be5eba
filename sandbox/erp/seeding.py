"""What the ERP holds on day one: plant 1000, the units of measure, and a few purchased materials."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from sandbox.catalog import CatalogPart, build_catalog
from sandbox.erp.products import create_product
from sandbox.erp.system import PLANT_SET, UNIT_SET

if TYPE_CHECKING:
    from sandbox.erp.system import ErpSystem

PLANTS = {"1000": "Main Plant"}
# SAP's commercial unit codes (T006): piece, lengths, masses, volumes, areas
UNITS = {"EA": "each", "PC": "piece", "M": "meter", "MM": "millimeter", "CM": "centimeter", "KM": "kilometer",
         "KG": "kilogram", "G": "gram", "TO": "ton", "L": "liter", "ML": "milliliter", "M2": "square meter",
         "M3": "cubic meter", "SET": "set", "PAK": "pack", "ROL": "roll"}
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


def seed(system: ErpSystem, profile: str, seed_value: int) -> None:
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
            create_product(system, {
                "Product": part.number,
                "ProductType": product_type(part),
                "BaseUnit": SEED_UNIT[part.uom],
                "ProductGroup": product_group(part.category),
                "ProductOldID": f"{part.number}/{part.revision}",
                "to_Description": [{"Language": "EN", "ProductDescription": part.name[:40]}],
                "to_Plant": [{"Plant": "1000", "ProcurementType": "F", "MRPType": "PD"}],
            }, SEED_USER)
