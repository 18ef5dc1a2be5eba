"""Shop floor records and plans: ERP production orders -> MES product orders, MES recordings -> ERP
confirmations. Free of Dagster and HTTP: the assets feed it what the clients read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from sync.records import Record
from sync.shop_floor_spec import ShopFloorSpec

MES_DONE = ("COMPLETED", "CLOSED", "CANCELLED")  # the shop floor finished with it: never re-planned


@dataclass(frozen=True, slots=True)
class ProductionOrder(Record):
    """An ERP production order (SAP A_ProductionOrder_2) as the shop floor needs it."""

    entity: ClassVar[str] = "production_order"

    order: str
    material: str
    plant: str
    quantity: Decimal
    unit: str
    status: str  # created | released | technically_completed | closed | deleted
    start_date: str = ""  # ISO date
    due_date: str = ""
    version: str = ""
    text: str = ""
    components: int = 0  # component lines copied from the released BOM

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity"})


@dataclass(frozen=True, slots=True)
class ProductOrder(Record):
    """An MES product order as the MES holds it."""

    entity: ClassVar[str] = "product_order"

    number: str
    article_id: str
    quantity: Decimal
    due_date: str
    status: str
    parameters: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity"})


@dataclass(frozen=True, slots=True)
class ProductOrderChange(Record):
    """One line of the plan: create, update, close, unchanged or held (why in `message`)."""

    entity: ClassVar[str] = "product_order_change"

    number: str
    op: str
    order: str
    material: str
    article_id: str = ""
    quantity: Decimal = Decimal(0)
    due_date: str = ""
    close_status: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)  # field -> [MES now, ERP wants]
    message: str = ""

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity"})

    def body(self) -> dict[str, Any]:
        """The MES fields this change writes (create: all of them; update: the changed ones)."""
        full = {
            "quantity": float(self.quantity),
            "dueDate": self.due_date,
            "parameters": self.parameters,
            "variants": self.variants,
        }
        if self.op == "create":
            return {"number": self.number, "articleId": self.article_id, "externalReference": self.order, **full}
        if self.op == "close":
            return {"status": self.close_status}
        return {name: full[name] for name in self.changes}


@dataclass(frozen=True, slots=True)
class Completion(Record):
    """A completed MES product order's recording, with the ERP order it confirms."""

    entity: ClassVar[str] = "completion"

    recording_id: str
    product_order: str
    erp_order: str
    material: str
    operator: str
    good_quantity: Decimal
    scrap_quantity: Decimal
    unit: str
    finished_at: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"good_quantity", "scrap_quantity"})


def _text(value: Any) -> Any:
    return value if isinstance(value, int | float | bool) else str(value)


def _fields_of(order: ProductionOrder, names: Mapping[str, str]) -> dict[str, Any]:
    row = order.to_row()
    return {mes: _text(row[erp]) for mes, erp in names.items() if row[erp] not in ("", None)}


def _wanted(spec: ShopFloorSpec, order: ProductionOrder) -> dict[str, Any]:
    return {
        "quantity": Decimal(order.quantity),
        "dueDate": order.due_date,
        "parameters": _fields_of(order, spec.parameters),
        "variants": _fields_of(order, spec.variants),
    }


def _differences(spec: ShopFloorSpec, existing: ProductOrder, wanted: dict[str, Any]) -> dict[str, Any]:
    now = {
        "quantity": Decimal(str(existing.quantity)),
        "dueDate": existing.due_date,
        "parameters": dict(existing.parameters),
        "variants": dict(existing.variants),
    }
    return {name: [_plain(now[name]), _plain(wanted[name])] for name in spec.compared if now[name] != wanted[name]}


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def plan_product_orders(
    spec: ShopFloorSpec,
    erp_orders: Iterable[ProductionOrder],
    mes_orders: Mapping[str, ProductOrder],
    articles: Mapping[str, str],
) -> list[ProductOrderChange]:
    """One change per ERP order the shop floor must know about: `articles` maps ERP material -> MES article."""
    changes = []
    for order in sorted(erp_orders, key=lambda o: o.order):
        number = f"{spec.number_prefix}{order.order}"
        existing = mes_orders.get(number)
        base = {"number": number, "order": order.order, "material": order.material}
        if order.status in spec.close_statuses:
            if existing is not None and existing.status not in ("CLOSED", "CANCELLED"):
                changes.append(ProductOrderChange(op="close", close_status=spec.close_statuses[order.status], **base))
            continue
        if order.status not in spec.sync_statuses:
            continue
        article = articles.get(order.material)
        if article is None:
            message = f"ERP material {order.material} of order {order.order} has no MES article"
            changes.append(ProductOrderChange(op="held", message=message, **base))
            continue
        if not order.due_date:
            message = (
                f"ERP order {order.order} has no planned end date (MfgOrderPlannedEndDate): the MES needs a due date"
            )
            changes.append(ProductOrderChange(op="held", message=message, **base))
            continue
        wanted = _wanted(spec, order)
        values = {
            "article_id": article,
            "quantity": wanted["quantity"],
            "due_date": wanted["dueDate"],
            "parameters": wanted["parameters"],
            "variants": wanted["variants"],
        }
        if existing is None:
            changes.append(ProductOrderChange(op="create", **base, **values))
        elif existing.status in MES_DONE:
            changes.append(
                ProductOrderChange(op="unchanged", message=f"MES order is {existing.status}", **base, **values)
            )
        else:
            diff = _differences(spec, existing, wanted)
            changes.append(ProductOrderChange(op="update" if diff else "unchanged", changes=diff, **base, **values))
    return changes


def missing_in_mes(
    erp_orders: Iterable[ProductionOrder], mes_orders: Mapping[str, ProductOrder], spec: ShopFloorSpec
) -> list[str]:
    """Released ERP orders the MES has no product order for (reconciliation)."""
    return sorted(
        o.order
        for o in erp_orders
        if o.status in spec.sync_statuses and f"{spec.number_prefix}{o.order}" not in mes_orders
    )
