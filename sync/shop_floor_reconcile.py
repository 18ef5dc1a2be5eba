"""Shop-floor reconciliation: ERP production orders and confirmations against MES product orders and
recordings, one difference per row. Reads only; decides nothing about writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sync.shop_floor import ProductionOrder, ProductOrder
from sync.shop_floor_spec import ShopFloorSpec

KINDS = ("missing_in_mes", "quantity_differs", "due_date_differs", "not_closed_in_mes", "unconfirmed_recording")


@dataclass(frozen=True, slots=True)
class ShopFloorDifference:
    kind: str
    order: str
    erp: str
    mes: str


def reconcile_shop_floor(
    spec: ShopFloorSpec,
    erp_orders: Iterable[ProductionOrder],
    mes_orders: Mapping[str, ProductOrder],
    recordings: Iterable[Mapping[str, str]],
    confirmed_references: set[str],
) -> list[ShopFloorDifference]:
    """`recordings`: {id, productOrderNumber} of every MES recording; `confirmed_references`: the
    ConfirmationText of every ERP confirmation."""
    found = []
    for order in sorted(erp_orders, key=lambda o: o.order):
        mes = mes_orders.get(f"{spec.number_prefix}{order.order}")
        if order.status in spec.sync_statuses:
            if mes is None:
                found.append(
                    ShopFloorDifference("missing_in_mes", order.order, f"{order.status} {order.material}", "-")
                )
                continue
            if mes.status in ("OPEN", "IN_PROGRESS"):
                if Decimal(str(mes.quantity)) != order.quantity:
                    found.append(
                        ShopFloorDifference("quantity_differs", order.order, str(order.quantity), str(mes.quantity))
                    )
                if mes.due_date != order.due_date:
                    found.append(ShopFloorDifference("due_date_differs", order.order, order.due_date, mes.due_date))
        elif order.status in spec.close_statuses and mes is not None and mes.status in ("OPEN", "IN_PROGRESS"):
            found.append(ShopFloorDifference("not_closed_in_mes", order.order, order.status, mes.status))
    for recording in recordings:
        if spec.reference(recording["id"]) not in confirmed_references:
            number = recording["productOrderNumber"]
            order = number[len(spec.number_prefix) :] if number.startswith(spec.number_prefix) else number
            found.append(ShopFloorDifference("unconfirmed_recording", order, "no confirmation", recording["id"]))
    return found
