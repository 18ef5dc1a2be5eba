"""`ProductionServices`: the SAP services of the shop-floor flow, over an ERP client's `ApiClient`.

API_PRODUCTION_ORDER_2_SRV (production orders and their components, quantity and date changes, the status
function imports) and API_PROD_ORDER_CONFIRMATION_2_SRV (confirmations). Exactly once: a confirmation
carries its reference in ConfirmationText; before posting, and again after a post whose answer never
arrived, the reference is looked up and what exists is returned instead of posting twice.

    production = ProductionServices(client.api, plant=client.plant)   # client: an ERPClient
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from resources.erp.sap.http import odata_get, send_write
from resources.erp.sap.odata import key_predicate, odata_filter, odata_literal, parse_odata_date
from resources.transport import ApiClient, ApiError
from sync.shop_floor import ProductionOrder

log = logging.getLogger("resources.erp.sap.production")
ORDER_SERVICE = "/sap/opu/odata/sap/API_PRODUCTION_ORDER_2_SRV"
CONFIRMATION_SERVICE = "/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV"
ORDERS, CONFIRMATIONS = "A_ProductionOrder_2", "ProdnOrdConf2"
COMPONENTS = "to_ProductionOrderComponent"
STATUS_ACTIONS = {
    "release": "ReleaseProductionOrder",
    "technically_complete": "CompleteTechnicallyProdnOrd",
    "close": "CloseProdnOrd",
    "delete": "SetDeltnFlagProdnOrd",
}


def _date(value: Any) -> str:
    moment = parse_odata_date(value) if isinstance(value, str) else None
    return moment.date().isoformat() if moment else ""


def order_status(entity: Mapping[str, Any]) -> str:
    """SAP's status flags -> one status; the furthest along wins (deleted > closed > TECO > released)."""
    for flag, status in (
        ("OrderIsMarkedForDeletion", "deleted"),
        ("OrderIsClosed", "closed"),
        ("OrderIsTechnicallyCompleted", "technically_completed"),
        ("OrderIsReleased", "released"),
    ):
        if entity.get(flag):
            return status
    return "created"


def order_from_sap(entity: Mapping[str, Any]) -> ProductionOrder:
    components = entity.get(COMPONENTS)
    return ProductionOrder(
        order=entity["ManufacturingOrder"],
        material=entity["Material"],
        plant=entity["ProductionPlant"],
        quantity=Decimal(str(entity["MfgOrderPlannedTotalQty"])),
        unit=entity.get("ProductionUnit", ""),
        status=order_status(entity),
        start_date=_date(entity.get("MfgOrderPlannedStartDate")),
        due_date=_date(entity.get("MfgOrderPlannedEndDate")),
        version=entity.get("ProductionVersion", ""),
        text=entity.get("ManufacturingOrderText", ""),
        components=len(components["results"]) if isinstance(components, Mapping) else 0,
    )


def answer_lost(err: ApiError) -> bool:
    """No HTTP answer arrived (connection dropped, read timeout): the ERP may have committed the write."""
    return err.status is None


class ProductionServices:
    def __init__(self, api: ApiClient, *, plant: str) -> None:
        self.api = api
        self.plant = plant

    def _entities(self, service: str, entity_set: str, **params: str) -> Iterator[dict[str, Any]]:
        route = f"{service}/{entity_set}"
        query: dict[str, str] | None = {"$format": "json", **{f"${k}": v for k, v in params.items() if v}}
        url: str | None = route
        while url is not None:
            d = odata_get(self.api, url, route=route, params=query)
            yield from d.get("results", [])
            url, query = d.get("__next"), None

    # ---- production orders -------------------------------------------------------------------------------
    def production_orders(self, plant: str | None = None) -> list[ProductionOrder]:
        """Every order of the plant with its components, whatever its status (the plan decides)."""
        flt = odata_filter(ProductionPlant=plant or self.plant)
        return [order_from_sap(e) for e in self._entities(ORDER_SERVICE, ORDERS, filter=flt, expand=COMPONENTS)]

    def read_order(self, order: str) -> ProductionOrder:
        d = odata_get(
            self.api,
            f"{ORDER_SERVICE}/{ORDERS}{key_predicate(ManufacturingOrder=order)}",
            route=f"{ORDER_SERVICE}/{ORDERS}(...)",
            params={"$expand": COMPONENTS},
        )
        return order_from_sap(d)

    def update_order(self, order: str, changes: Mapping[str, Any]) -> ProductionOrder:
        """PATCH quantity or planned dates (SAP field names; dates as datetime); idempotent, so a lost answer
        is simply sent again."""
        body = {
            k: (f"/Date({int(v.timestamp() * 1000)})/" if isinstance(v, datetime) else v) for k, v in changes.items()
        }
        body = {k: (f"{v:f}" if isinstance(v, Decimal) else v) for k, v in body.items()}
        send_write(
            self.api,
            "PATCH",
            f"{ORDER_SERVICE}/{ORDERS}{key_predicate(ManufacturingOrder=order)}",
            route=f"{ORDER_SERVICE}/{ORDERS}(...)",
            json=body,
        )
        return self.read_order(order)

    def set_status(self, order: str, action: str) -> ProductionOrder:
        """release | technically_complete | close | delete: SAP's function imports, idempotent."""
        name = STATUS_ACTIONS[action]
        send_write(
            self.api,
            "POST",
            f"{ORDER_SERVICE}/{name}?ManufacturingOrder={odata_literal(order)}",
            route=f"{ORDER_SERVICE}/{name}",
            headers={"Accept": "application/json"},
        )
        return self.read_order(order)

    # ---- confirmations -------------------------------------------------------------------------------------
    def confirmations(self, order: str | None = None, reference: str | None = None) -> list[dict[str, Any]]:
        conditions = {k: v for k, v in (("OrderID", order), ("ConfirmationText", reference)) if v}
        flt = odata_filter(**conditions) if conditions else ""
        return list(self._entities(CONFIRMATION_SERVICE, CONFIRMATIONS, filter=flt))

    def find_confirmation(self, reference: str) -> dict[str, Any] | None:
        found = self.confirmations(reference=reference)
        return min(found, key=lambda c: (c["ConfirmationGroup"], int(c["ConfirmationCount"]))) if found else None

    def confirm(
        self,
        order: str,
        reference: str,
        yield_quantity: Decimal,
        scrap_quantity: Decimal,
        *,
        unit: str = "",
        final: bool = True,
        operation: str = "0010",
    ) -> tuple[dict[str, Any], bool]:
        """Post one confirmation exactly once; returns (the confirmation, whether this call created it)."""
        if (earlier := self.find_confirmation(reference)) is not None:
            return earlier, False
        body = {
            "OrderID": order,
            "OrderOperation": operation,
            "ConfirmationYieldQuantity": f"{yield_quantity:f}",
            "ConfirmationScrapQuantity": f"{scrap_quantity:f}",
            "FinalConfirmationType": "1" if final else "",
            "ConfirmationText": reference,
            **({"ConfirmationUnit": unit} if unit else {}),
        }
        try:
            response = send_write(
                self.api,
                "POST",
                f"{CONFIRMATION_SERVICE}/{CONFIRMATIONS}",
                route=f"{CONFIRMATION_SERVICE}/{CONFIRMATIONS}",
                json=body,
                headers={"Accept": "application/json"},
            )
        except ApiError as err:
            if answer_lost(err) and (earlier := self.find_confirmation(reference)) is not None:
                log.info("erp: confirmation %s was committed before its answer was lost", reference)
                return earlier, True
            raise
        return response.json()["d"], True
