"""Benchmark: the real BOM sync vs a naive baseline on the sandbox's `large` profile with injected latency.

Times a full first sync of every large assembly and a delta sync after a real PLM change order edits k
lines of one assembly, each against the naive baseline (one HTTP write per record, no batching, no delta
detection) run in the same process against a fresh ERP holding the same seed data. Call and write counts
come from the sandbox systems' own counters (`GET /_sandbox/stats`). Prints a table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _naive import NaiveSync
from _real import RealSyncRunner
from _systems import BenchSystems, Calls, bench_systems, release_quantity_change

from resources.plm import PLMResource


@dataclass
class Scenario:
    name: str
    wall_s: float
    plm: Calls
    erp: Calls
    changed_records: int

    @property
    def calls(self) -> int:
        return self.plm.calls + self.erp.calls

    def writes_per_record(self) -> float:
        return self.erp.writes / self.changed_records if self.changed_records else float("nan")


def measure(systems: BenchSystems, name: str, erp: str, changed: int, work: Callable[[], object]) -> Scenario:
    """Run `work` with fresh counters; the ERP figures are those of `erp` ('erp' or 'naive_erp')."""
    systems.reset_stats()
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    scenario = Scenario(name, wall, systems.calls("plm"), systems.calls(erp), changed)
    print(f"  {name}: {wall:.1f} s", file=sys.stderr, flush=True)
    return scenario


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assemblies", type=int, default=2, help="top-level assemblies (large profile)")
    parser.add_argument("--depth", type=int, default=5, help="BOM levels per assembly")
    parser.add_argument("--breadth", type=int, default=20, help="leaf parts per assembly node")
    parser.add_argument("--width", type=int, default=2, help="subassemblies per level")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every call on every system")
    parser.add_argument("--changed", type=int, default=5, help="k: BOM lines changed for the delta sync")
    parser.add_argument(
        "--erp-rps", type=int, default=15, help="client-side ERP pacing, requests/s (ERPResource's default; 0 = none)"
    )
    parser.add_argument("--plm-rps", type=int, default=200, help="client-side PLM pacing, requests/s")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def run(args: argparse.Namespace, work_dir: Path) -> tuple[list[tuple[Scenario, Scenario]], dict]:
    """[(ours, naive) for the first sync and the delta], plus the facts worth printing."""
    params = {"assemblies": args.assemblies, "depth": args.depth, "breadth": args.breadth, "width": args.width}
    with bench_systems(params, args.seed) as systems:
        with PLMResource(url=systems.url("plm"), rate_limit_requests=args.plm_rps).client() as plm:
            tops = plm.released_top_assemblies()
        facts = {"params": params, "tops": tops, "plm": systems.summary("plm")}
        pacing = {"plm_requests_per_s": args.plm_rps, "erp_requests_per_s": args.erp_rps or None}
        real = RealSyncRunner(systems.url("plm"), systems.url("erp"), work_dir, **pacing)
        naive = NaiveSync(systems.url("plm"), systems.url("naive_erp"), **pacing)
        records = len(naive_records(naive, tops))  # distinct materials + BOM headers + BOM items to create
        facts["records"] = records
        systems.set_latency(args.latency_ms)
        try:
            first = (
                measure(systems, "first sync: mfg-sync", "erp", records, lambda: real.sync(tops)),
                measure(systems, "first sync: naive", "naive_erp", records, lambda: naive.sync(tops)),
            )
            change, assembly, lines = release_quantity_change(systems.url("plm"), tops[0], args.changed)
            with PLMResource(url=systems.url("plm"), rate_limit_requests=args.plm_rps).client() as plm:
                affected = sorted(plm.affected_top_assemblies([assembly])[assembly])
            facts["change"] = f"{change} on {assembly}, find numbers {lines}; re-synced {affected}"
            delta = (
                measure(systems, "delta: mfg-sync", "erp", len(lines), lambda: real.sync(affected)),
                measure(systems, "delta: naive", "naive_erp", len(lines), lambda: naive.sync(affected, existing=True)),
            )
        finally:
            real.close()
    return [first, delta], facts


def naive_records(naive: NaiveSync, tops: list[str]) -> set[str]:
    """Distinct record keys of every assembly (extracted before latency is injected and counters reset)."""
    keys: set[str] = set()
    for number in tops:
        mapped = naive.extract(number)
        for entity, table in mapped.desired().items():
            keys.update(f"{entity}:{key}" for key in table)
    return keys


def print_report(args: argparse.Namespace, pairs: list[tuple[Scenario, Scenario]], facts: dict) -> None:
    plm = facts["plm"]
    print("BOM-sync benchmark: the real assets vs a naive baseline (one write per record, no batching, no delta)")
    print(
        f"  sandbox 'large' profile {facts['params']} seed {args.seed}: {plm['items']} PLM items, "
        f"{plm['effective_bom_lines']} released BOM lines, {len(facts['tops'])} top assemblies {facts['tops']}"
    )
    print(f"  records to sync (materials + BOM headers + BOM items): {facts['records']}")
    print(
        f"  injected latency {args.latency_ms:g} ms per call on PLM and both ERPs; delta: k={args.changed} "
        f"lines changed ({facts['change']})"
    )
    erp_pace = f"{args.erp_rps} requests/s" if args.erp_rps else "none"
    print(f"  client-side pacing (same for both): PLM {args.plm_rps} requests/s, ERP {erp_pace}")
    print(f"  machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    header = (
        f"{'scenario':<22} {'wall s':>8} {'PLM calls':>10} {'ERP calls':>10} {'ERP writes':>11} "
        f"{'writes/changed':>15} {'wall x':>8} {'calls x':>8}"
    )
    print(header)
    print("-" * len(header))
    for ours, naive in pairs:
        for row in (ours, naive):
            ratio_wall = naive.wall_s / ours.wall_s if row is ours else 1.0
            ratio_calls = naive.calls / ours.calls if row is ours else 1.0
            print(
                f"{row.name:<22} {row.wall_s:>8.1f} {row.plm.calls:>10} {row.erp.calls:>10} {row.erp.writes:>11} "
                f"{row.writes_per_record():>15.2f} {ratio_wall:>8.1f} {ratio_calls:>8.1f}"
            )
    print("wall x / calls x: the naive baseline's wall time / total calls (PLM + ERP) divided by this row's.")
    print("ERP writes: entities the ERP stored (a material is product + description + plant data).")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mfg-sync-bench-") as tmp:
        pairs, facts = run(args, Path(tmp))
    print_report(args, pairs, facts)


if __name__ == "__main__":
    main()
