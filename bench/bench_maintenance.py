"""Goods-issue postings per second against the sandbox ERP with injected latency: batched (`$batch`, one change
set per posting, `MaintenanceServices.post_goods_movements`) vs one call per posting (`post_goods_movement`),
in the same run, and the ERP calls each posting cost (the ERP's own counter: lookups, CSRF token, posts).

    python bench/bench_maintenance.py [--postings 200] [--latency-ms 20] [--erp-rps 15] [--batch-size 100]

Each posting is a 201 goods issue of 1 piece to a cost centre with its own reference (as the EAM transaction
id is), so both modes look each reference up before posting, exactly as the maintenance sync does.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resources.erp import ERPResource  # noqa: E402
from sandbox.launcher import running_sandbox  # noqa: E402
from sync.records import GoodsIssue  # noqa: E402


def _issues(mode: str, materials: list[str], count: int) -> list[GoodsIssue]:
    return [
        GoodsIssue(
            reference=f"BENCH-{mode}-{n}",
            material=materials[n % len(materials)],
            quantity=Decimal(1),
            movement_type="201",
            plant="1000",
            storage_location="0001",
            cost_center="CC4100",
        )
        for n in range(count)
    ]


def _stats(url: str) -> dict:
    return httpx.get(f"{url}/_sandbox/stats", timeout=10).json()


def _measure(url: str, resource: ERPResource, mode: str, issues: list[GoodsIssue]) -> dict:
    httpx.post(f"{url}/_sandbox/stats/reset", timeout=10).raise_for_status()
    started = time.monotonic()
    with resource.client() as erp:
        if mode == "batched":
            results = []
            for start in range(0, len(issues), resource.batch_size):
                results += erp.maintenance.post_goods_movements(issues[start : start + resource.batch_size])
        else:
            results = [erp.maintenance.post_goods_movement(issue) for issue in issues]
    seconds = time.monotonic() - started
    failed = sum(1 for r in results if not isinstance(r, GoodsIssue))
    calls = int(_stats(url)["calls_total"])
    return {"mode": mode, "postings": len(issues), "failed": failed, "seconds": seconds, "calls": calls}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=200, help="postings per mode")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="latency injected on every ERP call")
    parser.add_argument(
        "--erp-rps", type=int, default=15, help="client-side ERP pacing, requests/s (ERPResource's default; 0 = none)"
    )
    parser.add_argument("--batch-size", type=int, default=100, help="operations per $batch call")
    args = parser.parse_args()
    with running_sandbox(None, overrides={"erp": {"rate_limit": None}}) as sandbox:
        url = sandbox.base_url("erp")
        resource = ERPResource(url=url, rate_limit_requests=args.erp_rps or None, batch_size=args.batch_size)
        with resource.client() as erp:
            materials = sorted({row["Material"] for row in erp.maintenance.read_stock(storage_location="0001")})
        httpx.put(f"{url}/_sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=10).raise_for_status()
        modes = ("single", "batched")
        rows = [_measure(url, resource, mode, _issues(mode, materials, args.postings)) for mode in modes]
    pace = f"{args.erp_rps} requests/s" if args.erp_rps else "none"
    print(f"goods-issue postings, {args.postings} per mode, {args.latency_ms:g} ms per ERP call, pacing {pace}")
    print("| mode | postings | failed | wall s | postings / s | ERP calls | ERP calls / posting |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['mode']} | {row['postings']} | {row['failed']} | {row['seconds']:.1f} | "
            f"{row['postings'] / row['seconds']:.1f} | {row['calls']} | {row['calls'] / row['postings']:.2f} |"
        )
    single, batched = rows
    print(f"batched / single: {single['seconds'] / batched['seconds']:.1f}x postings per second")
    return 0 if not any(row["failed"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
