"""Test support for the shop-floor flow: the sandboxes (PLM, ERP, EAM, MES) on free ports, the real assets
run through `dagster.materialize`, and what an ERP planner and a shop-floor operator do, over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import dagster as dg
import httpx

from assets import assets_and_checks
from assets.shop_floor_jobs import (
    SHOP_FLOOR_COMPLETIONS_SELECTION,
    SHOP_FLOOR_ORDERS_SELECTION,
    SHOP_FLOOR_RECONCILIATION_SELECTION,
)
from assets.shop_floor_state import MES_SOURCE
from resources.erp.sap.http import send_write
from resources.erp.sap.production import ProductionServices
from resources.mes import MESClient
from tests.sync_harness import SyncHarness

SEEDED_ORDERS = ["1000001", "1000002", "1000003", "1000004", "1000005"]


@dataclass
class ShopFloorHarness:
    systems: SyncHarness

    def materialize(self, selection: Any) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets_and_checks(),
            selection=selection,
            instance=self.systems.instance,
            resources=self.systems.resources(),
            raise_on_error=False,
        )

    def sync_orders(self) -> dg.ExecuteInProcessResult:
        return self.materialize(SHOP_FLOOR_ORDERS_SELECTION)

    def confirm_completions(self) -> dg.ExecuteInProcessResult:
        return self.materialize(SHOP_FLOOR_COMPLETIONS_SELECTION)

    def reconcile(self) -> dg.ExecuteInProcessResult:
        return self.materialize(SHOP_FLOOR_RECONCILIATION_SELECTION)

    # --- the systems ------------------------------------------------------------------------------------------
    def mes(self) -> MESClient:
        return self.systems.resources()["mes"].client()

    def production(self, erp_client) -> ProductionServices:
        return ProductionServices(erp_client.api, plant=erp_client.plant)

    def erp_order(self, number: str):
        with self.systems.erp().client() as erp:
            return self.production(erp).read_order(number)

    def change_erp_order(self, number: str, **changes: Any) -> None:
        with self.systems.erp().client() as erp:
            self.production(erp).update_order(number, changes)

    def erp_status(self, number: str, action: str) -> None:
        with self.systems.erp().client() as erp:
            self.production(erp).set_status(number, action)

    def create_released_erp_order(self, material: str, quantity: str) -> str:
        """What MRP or a planner does in the ERP (the sandbox also takes a POST): a new order, released."""
        with self.systems.erp().client() as erp:
            path = "/sap/opu/odata/sap/API_PRODUCTION_ORDER_2_SRV/A_ProductionOrder_2"
            body = {"Material": material, "ProductionPlant": "1000", "MfgOrderPlannedTotalQty": quantity}
            number = send_write(erp.api, "POST", path, route=path, json=body).json()["d"]["ManufacturingOrder"]
            self.production(erp).set_status(number, "release")
        return number

    def purchased_material(self) -> str:
        with self.systems.erp().client() as erp:
            return sorted({row["Material"] for row in erp.maintenance.read_stock(storage_location="0001")})[0]

    def dead_letters(self) -> list:
        return self.systems.state().store().open_dead_letters()

    def confirmations(self, number: str) -> list[dict[str, Any]]:
        with self.systems.erp().client() as erp:
            return self.production(erp).confirmations(order=number)

    def receipts(self, reference: str):
        with self.systems.erp().client() as erp:
            return erp.maintenance.find_postings([reference])

    def material_documents(self) -> int:
        return httpx.get(f"{self.systems.url('erp')}/_sandbox/summary").json()["material_documents"]

    def create_material(self, number: str) -> None:
        """What the BOM sync would have created: the assembly as a material of plant 1000."""
        with self.systems.erp().client() as erp:
            erp.create_material(
                {"Product": number, "ProductType": "FERT", "BaseUnit": "EA", "ProductDescription": f"Assembly {number}"}
            )

    def mes_writes(self) -> int:
        return self.systems.stats("mes")["writes"]

    def mes_drops(self) -> list:
        return self.systems.state().store().webhook_drops_after(0, MES_SOURCE)

    @staticmethod
    def quantity(value: Any) -> Decimal:
        return Decimal(str(value))


def metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict[str, Any]:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}
