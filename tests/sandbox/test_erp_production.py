"""The ERP sandbox's production orders over real HTTP: components from the released BOM, changes, TECO."""

from __future__ import annotations

from decimal import Decimal

import pytest

from resources.erp import ERPResource
from resources.erp.sap.http import odata_get
from resources.erp.sap.production import ORDER_SERVICE, ProductionServices
from resources.transport import ApiError
from sandbox.erp import ERPSettings, create_app
from sandbox.server import serving


@pytest.fixture(scope="module")
def erp():
    with (
        serving(create_app(ERPSettings(rate_limit=None))) as url,
        ERPResource(url=url, token_leeway_s=0, max_attempts=1).client() as client,
    ):
        yield client, ProductionServices(client.api, plant=client.plant)


def components(client) -> list[str]:
    """Two of the purchased materials the ERP starts with."""
    return sorted({row["Material"] for row in client.maintenance.read_stock(storage_location="0001")})[:2]


def test_five_released_orders_are_seeded_for_the_demo_assemblies(erp):
    _, production = erp
    orders = production.production_orders()
    assert [(o.order, o.material, o.status) for o in orders][:2] == [
        ("1000001", "ASM-10001", "released"),
        ("1000002", "ASM-10002", "released"),
    ]
    assert len(orders) == 5 and all(o.due_date > o.start_date for o in orders)


def test_an_order_takes_its_components_from_the_released_bom_scaled_to_its_quantity(erp):
    client, production = erp
    first, second = components(client)
    client.create_material(
        {"Product": "ASM-10001", "ProductType": "FERT", "BaseUnit": "EA", "ProductDescription": "Pump skid"}
    )
    header = {"Material": "ASM-10001", "Plant": "1000", "BillOfMaterialVariantUsage": "1", "BOMHeaderBaseUnit": "EA"}
    items = [
        {
            "BillOfMaterialItemNumber": n,
            "BillOfMaterialComponent": c,
            "BillOfMaterialItemCategory": "L",
            "BillOfMaterialItemQuantity": Decimal(q),
            "BillOfMaterialItemUnit": u,
        }
        for n, c, q, u in (("0010", first, "2", "EA"), ("0020", second, "1.5", "EA"))
    ]
    client.create_bom(header, items, draft=False)
    assert production.read_order("1000001").components == 2
    path = f"{ORDER_SERVICE}/A_ProductionOrder_2('1000001')/to_ProductionOrderComponent"
    rows = odata_get(client.api, path, route=path)["results"]
    assert [(r["Material"], r["RequiredQuantity"]) for r in rows] == [(first, "10.000"), (second, "7.500")]  # 5 EA


def test_a_technically_completed_order_takes_no_more_changes(erp):
    _, production = erp
    production.update_order("1000003", {"MfgOrderPlannedTotalQty": Decimal("4")})
    assert production.set_status("1000003", "technically_complete").status == "technically_completed"
    with pytest.raises(ApiError) as refused:
        production.update_order("1000003", {"MfgOrderPlannedTotalQty": Decimal("5")})
    assert refused.value.status == 400 and production.read_order("1000003").quantity == Decimal("4")
