"""Benchmark: the shop-floor flow on the sandbox with N released ERP production orders.

Creates N ERP materials (the first N manufactured catalog parts, each with an MES article) and a released
order for each, then times through Dagster: the first orders sync (N creates), a re-run (nothing to write),
a re-run after k quantity changes, and the confirmation of c completions delivered by the MES's triggers
through the real webhook receiver. Call and write counts come from the sandboxes' own counters.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MFG_SYNC_PROFILE", "sandbox")  # the sandboxes' published secrets, on loopback only

import httpx  # noqa: E402

from orchestration.triggers_config import WebhookSettings  # noqa: E402
from orchestration.webhooks import receiving  # noqa: E402
from sandbox.mes.seed import manufactured_parts  # noqa: E402
from tests.shop_floor.shop_floor_harness import ShopFloorHarness  # noqa: E402
from tests.sync_harness import sync_harness  # noqa: E402


def stats(h: ShopFloorHarness, system: str) -> tuple[int, int]:
    s = h.systems.stats(system)
    return s["calls_total"], s["writes"]


def timed(h: ShopFloorHarness, name: str, run, rows: list) -> None:
    h.systems.reset_stats("erp", "mes")
    started = time.monotonic()
    result = run()
    wall = time.monotonic() - started
    assert result.success, name
    (erp_calls, erp_writes), (mes_calls, mes_writes) = stats(h, "erp"), stats(h, "mes")
    rows.append((name, wall, erp_calls, erp_writes, mes_calls, mes_writes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--completions", type=int, default=20)
    args = parser.parse_args()
    rows: list = []
    with tempfile.TemporaryDirectory() as tmp, sync_harness(Path(tmp)) as systems:
        h = ShopFloorHarness(systems)
        parts = manufactured_parts("demo", 7)[: args.orders]
        numbers = []
        for part in parts:
            h.create_material(part.number)
            numbers.append(h.create_released_erp_order(part.number, "4"))
        timed(h, f"first sync: {len(numbers) + 5} orders", h.sync_orders, rows)
        timed(h, "re-run, nothing changed", h.sync_orders, rows)
        for number in numbers[: args.changes]:
            h.change_erp_order(number, MfgOrderPlannedTotalQty="6")
        timed(h, f"re-run after {args.changes} quantity changes", h.sync_orders, rows)
        with receiving(systems.state().store(), WebhookSettings.from_env()) as receiver:
            with h.mes() as mes:
                mes.subscribe(f"{receiver.url}/webhooks/mes")
                for number in numbers[: args.completions]:
                    mes.complete(number, "bench", 3, 1)
            deadline = time.monotonic() + 60
            while len(h.mes_drops()) < args.completions and time.monotonic() < deadline:
                time.sleep(0.1)
            timed(h, f"{args.completions} completions -> confirmations + receipts", h.confirm_completions, rows)
        summary = httpx.get(f"{systems.url('erp')}/_sandbox/summary").json()
    print(f"{'scenario':<48} {'wall s':>7} {'ERP calls':>9} {'ERP writes':>10} {'MES calls':>9} {'MES writes':>10}")
    for name, wall, erp_calls, erp_writes, mes_calls, mes_writes in rows:
        print(f"{name:<48} {wall:>7.1f} {erp_calls:>9} {erp_writes:>10} {mes_calls:>9} {mes_writes:>10}")
    print(
        f"ERP holds {summary['production_confirmations']} confirmations and {summary['material_documents']} "
        "material documents"
    )


if __name__ == "__main__":
    main()
