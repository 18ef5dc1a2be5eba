"""`MESClient`: the shop-floor system's REST API (Azumuta shape, `/api/v1`, `X-API-Key`).

Reads articles, product orders, work instructions and recordings; writes product orders (create, update,
close) and triggers. A product order is keyed by its number: `create_product_order` looks the number up
when its answer was lost or the MES says it exists already, so a retry never makes a second one.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from resources.transport import ApiClient, ApiError, SystemClient
from sync.shop_floor import ProductOrder

log = logging.getLogger("resources.mes")
API = "/api/v1"


class MESDataError(ValueError):
    """The MES answered with something that is not the record it should be (names the record and field)."""


def product_order_from_mes(doc: dict[str, Any]) -> ProductOrder:
    try:
        return ProductOrder(
            number=str(doc["number"]),
            article_id=str(doc["articleId"]),
            quantity=Decimal(str(doc["quantity"])),
            due_date=str(doc.get("dueDate") or ""),
            status=str(doc["status"]),
            parameters=dict(doc.get("parameters") or {}),
            variants=dict(doc.get("variants") or {}),
        )
    except (KeyError, ArithmeticError) as exc:
        raise MESDataError(
            f"mes: product order {doc.get('number', '(no number)')}: field {exc} missing or invalid"
        ) from None


class MESClient(SystemClient):
    def __init__(self, api: ApiClient, logger: Any = None) -> None:
        super().__init__(api)
        self.logger = logger

    def _list(self, path: str, **params: str) -> list[dict[str, Any]]:
        return self.api.get(f"{API}/{path}", route=f"{API}/{path}", params=params or None).json()["data"]

    def _one(self, path: str, route: str) -> dict[str, Any]:
        return self.api.get(f"{API}/{path}", route=f"{API}/{route}").json()

    # ---- reads -------------------------------------------------------------------------------------------
    def articles_by_material(self) -> dict[str, str]:
        """ERP material -> MES article id."""
        return {a["erpMaterial"]: a["id"] for a in self._list("articles") if a.get("erpMaterial")}

    def product_orders(self) -> dict[str, ProductOrder]:
        return {o.number: o for o in map(product_order_from_mes, self._list("product-orders"))}

    def product_order(self, number: str) -> ProductOrder | None:
        try:
            return product_order_from_mes(self._one(f"product-orders/{number}", "product-orders/{number}"))
        except ApiError as err:
            if err.status == 404:
                return None
            raise

    def recording(self, recording_id: str) -> dict[str, Any]:
        return self._one(f"recordings/{recording_id}", "recordings/{id}")

    def recordings(self) -> list[dict[str, Any]]:
        return self._list("recordings")

    def work_instruction(self, instruction_id: str) -> dict[str, Any]:
        return self._one(f"work-instructions/{instruction_id}", "work-instructions/{id}")

    def test_connection(self) -> dict[str, Any]:
        self._list("articles", number="-")
        return {"ok": True}

    # ---- writes ------------------------------------------------------------------------------------------
    def create_product_order(self, body: dict[str, Any]) -> tuple[ProductOrder, bool]:
        """Create by number, exactly once; returns (the order, whether this call created it)."""
        number = body["number"]
        try:
            doc = self.api.post(f"{API}/product-orders", json=body, route=f"{API}/product-orders").json()
        except ApiError as err:
            if err.status == 409 or err.status is None:  # exists already, or committed before the answer was lost
                found = self.product_order(number)
                if found is not None:
                    log.info("mes: product order %s existed already", number)
                    return found, err.status is None
            raise
        return product_order_from_mes(doc), True

    def update_product_order(self, number: str, changes: dict[str, Any]) -> ProductOrder:
        """PATCH quantity, due date, parameters, variants or status (a PATCH is idempotent)."""
        route = f"{API}/product-orders/{{number}}"
        return product_order_from_mes(
            self.api.patch(f"{API}/product-orders/{number}", json=changes, route=route).json()
        )

    def complete(self, number: str, operator: str, good: float, scrap: float = 0, **parameters: Any) -> dict[str, Any]:
        """The operator's action at the end of the work instruction (sandbox and tests)."""
        body = {"operator": operator, "goodQuantity": good, "scrapQuantity": scrap, "parameters": parameters}
        route = f"{API}/product-orders/{{number}}/complete"
        return self.api.post(f"{API}/product-orders/{number}/complete", json=body, route=route).json()

    def triggers(self) -> list[dict[str, Any]]:
        return self._list("triggers")

    def subscribe(
        self, url: str, category: str = "*", method: str = "POST", auth: str = "hmac", secret: str = ""
    ) -> dict[str, Any]:
        """A completion trigger for an article category pointing at `url`, once (an existing one is returned)."""
        for trigger in self.triggers():
            if trigger["url"] == url and trigger["articleCategory"] == category and trigger.get("active", True):
                return trigger
        body = {
            "articleCategory": category,
            "url": url,
            "method": method,
            "auth": auth,
            **({"secret": secret} if secret else {}),
        }
        return self.api.post(f"{API}/triggers", json=body, route=f"{API}/triggers").json()
