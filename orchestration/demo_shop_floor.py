"""The demo's shop-floor part: released ERP production orders go to the MES, an operator completes one, the
MES's trigger calls the receiver, the completion becomes an ERP confirmation and goods receipt, and the
shop-floor reconciliation compares both sides; a short report says what happened.

The operator completes the MES's first product order, once: a second `make demo` finds it completed and
confirmed, and writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assets.shop_floor_state import (
    ERP_CONFIRMATIONS,
    MES_PRODUCT_ORDERS,
    MES_SOURCE,
    SHOP_FLOOR_RECONCILIATION,
)
from orchestration.shop_floor_runs import run_job
from resources.mes import MESResource
from resources.state import StateStore

OPERATOR = "demo-operator"
OPEN = ("OPEN", "IN_PROGRESS")  # MES statuses an operator can complete
DROP_WAIT_S = 20.0  # the MES calls its trigger in the background, retrying: the drop arrives within seconds


@dataclass
class ShopFloorDemo:
    completed_order: str = ""  # the order the operator completed in this demo ("" when none was left to do)
    runs: dict[str, bool] = field(default_factory=dict)  # job -> succeeded
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)  # asset -> its metadata
    errors: list[str] = field(default_factory=list)


def _complete_one_order(mes: MESResource) -> str:
    """The operator finishes the demo's order, the MES's first (good = its quantity less one, one scrapped),
    unless an earlier demo did: the order number, or "" when there was nothing to do."""
    with mes.client() as client:
        orders = client.product_orders()
        if not orders:
            return ""
        order = orders[min(orders)]
        if order.status not in OPEN:
            return ""  # completed by an earlier demo (or by hand)
        good = max(order.quantity - Decimal(1), Decimal(0))
        client.complete(order.number, OPERATOR, float(good), float(order.quantity - good), torque_nm=42.5)
        return order.number


def _wait_for_drop(store: StateStore, already: int) -> bool:
    deadline = time.monotonic() + DROP_WAIT_S
    while time.monotonic() < deadline:
        if len(store.webhook_drops_after(0, MES_SOURCE, limit=10_000)) > already:
            return True
        time.sleep(0.2)
    return False


def _job(demo: ShopFloorDemo, name: str, on_line: Callable[[str], None]) -> None:
    result, found, error = run_job(name, trigger="demo")
    demo.runs[name] = result.success
    demo.counts.update(found)
    if error:
        demo.errors.append(f"{name}: {error}")
    on_line(f"{name}: {'ok' if result.success else 'FAILED'} (run {result.run_id[:8]})")


def run(on_line: Callable[[str], None]) -> ShopFloorDemo:
    """Orders to the MES, one completion back as a confirmation, then the reconciliation."""
    demo = ShopFloorDemo()
    _job(demo, "shop_floor_orders", on_line)
    store = StateStore.from_env()
    try:
        drops_before = len(store.webhook_drops_after(0, MES_SOURCE, limit=10_000))
        demo.completed_order = _complete_one_order(MESResource.from_env())
        if demo.completed_order:
            on_line(f"operator {OPERATOR} completed MES product order {demo.completed_order}")
            if not _wait_for_drop(store, drops_before):
                demo.errors.append(f"no completion webhook arrived within {DROP_WAIT_S:.0f} s")
    finally:
        store.dispose()
    _job(demo, "shop_floor_completions", on_line)
    _job(demo, "shop_floor_reconciliation", on_line)
    return demo


def report_lines(demo: ShopFloorDemo) -> list[str]:
    orders = demo.counts.get(MES_PRODUCT_ORDERS.to_user_string(), {})
    posted = demo.counts.get(ERP_CONFIRMATIONS.to_user_string(), {})
    recon = demo.counts.get(SHOP_FLOOR_RECONCILIATION.to_user_string(), {})
    lines = [
        f"  Shop floor: {int(orders.get('created', 0))} product order(s) created in the MES, "
        f"{int(orders.get('updated', 0))} updated, {int(orders.get('closed', 0))} closed; "
        + (f"order {demo.completed_order} completed by {OPERATOR}; " if demo.completed_order else "")
        + f"{int(posted.get('posted', 0))} confirmation(s) with goods receipt posted to the ERP, "
        f"{int(posted.get('repeated', 0))} repeated completion(s) recognised, {int(posted.get('failed', 0))} failed.",
    ]
    if demo.runs.get("shop_floor_reconciliation"):
        total = int(recon.get("differences", 0))
        lines.append(
            "  Shop-floor reconciliation: ERP and MES agree."
            if total == 0
            else f"  Shop-floor reconciliation: {total} difference(s) (`mfg-sync sync shop-floor --reconcile`)."
        )
    lines += [f"  Shop floor FAILED: {error}" for error in demo.errors]
    return lines


def succeeded(demo: ShopFloorDemo) -> bool:
    return all(demo.runs.values()) and not demo.errors
