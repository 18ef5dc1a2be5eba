"""The ERP's released production orders on day one: one for each of the first manufactured assemblies of
the catalog, due over the coming weeks. Their materials arrive with the BOM sync (the seed skips the check
that a material exists; the API's create does not)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sandbox.catalog import Catalog
from sandbox.erp.production_orders import create_order

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SEEDED_ORDERS = 5
QUANTITIES = (Decimal(5), Decimal(10), Decimal(2), Decimal(20), Decimal(50))
DAY_MS = 86_400_000


def seed_production_orders(system: ERPSystem, catalog: Catalog) -> None:
    made = sorted(
        (p for p in catalog.parts if p.make_buy == "MAKE" and p.category == "Assembly"), key=lambda p: p.number
    )
    today = system.now() // 1000 // DAY_MS * DAY_MS
    for index, part in enumerate(made[:SEEDED_ORDERS]):
        create_order(
            system,
            {
                "Material": part.number,
                "ManufacturingOrderText": part.name[:40],
                "ProductionPlant": "1000",
                "ProductionVersion": "0001",
                "ProductionUnit": "EA",
                "MfgOrderPlannedTotalQty": str(QUANTITIES[index % len(QUANTITIES)]),
                "MfgOrderPlannedStartDate": f"/Date({today + (7 * index + 1) * DAY_MS})/",
                "MfgOrderPlannedEndDate": f"/Date({today + (7 * index + 5) * DAY_MS})/",
            },
            "SANDBOX",
            released=True,
            check_material=False,
        )
