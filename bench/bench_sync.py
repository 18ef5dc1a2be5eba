"""Benchmark: the real BOM sync vs a naive baseline on the sandbox's `large` profile with injected latency.

Four scenarios: a first sync of every large assembly, a no-op re-sync, a delta after a real PLM change order
edits k lines of one assembly, and a change deep in the tree (one line of the deepest subassembly). Each runs
against the naive baseline (one HTTP write per record, no batching, no delta detection, no cache) in the same
process against a fresh ERP holding the same seed data. Call and write counts come from the sandbox systems'
own counters (`GET /_sandbox/stats`); each system's calls are printed next to its floor (`_floors.py`).
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

from _floors import Floor, delta_floor, first_sync_floor, no_op_floor, ratio
from _naive import NaiveSync
from _real import RealSyncRunner
from _systems import BenchSystems, Calls, bench_systems, release_quantity_change

from resources.plm import PLMResource
from resources.plm.change_feed import shared_change_feed


@dataclass
class Scenario:
    name: str
    wall_s: float
    plm: Calls
    erp: Calls
    changed_records: int
    floor: Floor | None = None
    batches: int = 0  # ERP `$batch` calls

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
    batches = sum(n for route, n in systems.routes(erp).items() if route.endswith("$batch"))
    scenario = Scenario(name, wall, systems.calls("plm"), systems.calls(erp), changed, batches=batches)
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
    """[(ours, naive)] for the first sync, the no-op, the k-line delta and the deep change; facts to print."""
    params = {"assemblies": args.assemblies, "depth": args.depth, "breadth": args.breadth, "width": args.width}
    with bench_systems(params, args.seed) as systems:
        plm_resource = PLMResource(url=systems.url("plm"), rate_limit_requests=args.plm_rps)
        with plm_resource.client() as plm:
            tops = plm.released_top_assemblies()
            trees = {top: plm.released_bom(top) for top in tops}
        facts = {"params": params, "tops": tops, "plm": systems.summary("plm")}
        pacing = {"plm_requests_per_s": args.plm_rps, "erp_requests_per_s": args.erp_rps or None}
        real = RealSyncRunner(systems.url("plm"), systems.url("erp"), work_dir, **pacing)
        naive = NaiveSync(systems.url("plm"), systems.url("naive_erp"), **pacing)
        records = len(naive_records(naive, tops))  # distinct materials + BOM headers + BOM items to create
        facts["records"] = records
        parts = {p.number for tree in trees.values() for p in tree.parts}
        assemblies = {line.parent_number for tree in trees.values() for line in tree.lines}
        deepest = max(trees[tops[0]].lines, key=lambda line: line.level).parent_number
        systems.set_latency(args.latency_ms)

        def ours(numbers: list[str]) -> Callable[[], object]:
            def work() -> object:
                with shared_change_feed():  # one invocation, as `mfg-sync sync bom` runs it
                    return real.sync(numbers)

            return work

        try:
            first = (
                measure(systems, "first sync: mfg-sync", "erp", records, ours(tops)),
                measure(systems, "first sync: naive", "naive_erp", records, lambda: naive.sync(tops)),
            )
            first[0].floor = first_sync_floor(len(parts), len(assemblies), records)
            no_op = (
                measure(systems, "no-op: mfg-sync", "erp", 0, ours(tops)),
                measure(systems, "no-op: naive", "naive_erp", 0, lambda: naive.sync(tops, existing=True)),
            )
            no_op[0].floor = no_op_floor(records)
            pairs = [first, no_op]
            for label, where, k in (("delta", tops[0], args.changed), ("deep change", deepest, 1)):
                change, assembly, lines = release_quantity_change(systems.url("plm"), where, k)
                with plm_resource.client() as plm:
                    affected = sorted(plm.affected_top_assemblies([assembly])[assembly])
                facts[label] = f"{change} on {assembly}, find numbers {lines}; re-synced {affected}"
                compared = len(naive_records(naive, affected))  # read before counters reset: not counted
                pair = (
                    measure(systems, f"{label}: mfg-sync", "erp", len(lines), ours(affected)),
                    measure(
                        systems, f"{label}: naive", "naive_erp", len(lines), lambda a=affected: naive.sync(a, True)
                    ),
                )
                pair[0].floor = delta_floor(1, 1, 1, len(lines), compared)
                pairs.append(pair)
        finally:
            real.close()
    return pairs, facts


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
        "lines changed"
    )
    erp_pace = f"{args.erp_rps} requests/s" if args.erp_rps else "none"
    print(f"  client-side pacing (same for both): PLM {args.plm_rps} requests/s, ERP {erp_pace}")
    print(f"  machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    for label in ("delta", "deep change"):
        print(f"  {label}: {facts[label]}")
    header = (
        f"{'scenario':<24} {'wall s':>7} {'PLM calls':>9} {'floor':>6} {'x floor':>7} {'ERP calls':>9} "
        f"{'floor':>6} {'x floor':>7} {'$batch':>6} {'ERP writes':>10} {'naive/this wall':>15} {'calls':>6}"
    )
    print(header)
    print("-" * len(header))
    for ours, naive in pairs:
        for row in (ours, naive):
            floor = ours.floor or Floor(0, 0)
            ratio_wall = naive.wall_s / ours.wall_s if row is ours else 1.0
            ratio_calls = naive.calls / ours.calls if row is ours and ours.calls else 1.0
            print(
                f"{row.name:<24} {row.wall_s:>7.1f} {row.plm.calls:>9} {floor.plm:>6} "
                f"{ratio(row.plm.calls, floor.plm):>7} {row.erp.calls:>9} {floor.erp:>6} "
                f"{ratio(row.erp.calls, floor.erp):>7} {row.batches:>6} {row.erp.writes:>10} "
                f"{ratio_wall:>15.1f} {ratio_calls:>6.1f}"
            )
    print("floor: the fewest calls the API allows for the work (bench/_floors.py); x floor: calls / floor;")
    print("  naive rows are set against the same floor. naive/this: the naive row's wall time and total calls")
    print("  (PLM + ERP) divided by this row's. ERP writes: entities stored (a material is three).")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mfg-sync-bench-") as tmp:
        pairs, facts = run(args, Path(tmp))
    print_report(args, pairs, facts)


if __name__ == "__main__":
    main()
