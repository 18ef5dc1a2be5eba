"""Benchmark: map + plan a synthetic BOM set (50,000 and 1,000,000 lines), first sync and a k-line delta.

Time is wall and CPU time of this process; the target is checked against CPU time, which is what the wall
time is on an idle machine (on a shared one, wall time also counts the other processes' turns).
Each size and scenario runs in a process of its own, so its peak memory is its own: the peak resident set
(ru_maxrss of that process) is printed whole and as the part above what the input records already held
before mapping started (the records the extract hands over). Printed against the targets of issue 17.

    .venv/bin/python bench/bench_plan.py [--sizes 50000 1000000] [--changed 100]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sync.applied import applied_changes, fold_applied  # noqa: E402
from sync.mapping import map_released_bom  # noqa: E402
from sync.planner import build_plan  # noqa: E402
from sync.records import BomLine, Part  # noqa: E402
from sync.spec_builder import load_spec  # noqa: E402

SPEC = REPO / "mappings" / "plm_to_erp.yaml"
TARGET_SECONDS = {50_000: 3.0}  # map + plan
TARGET_PEAK_MIB = {1_000_000: 1024.0}


def synthetic(n_lines: int, per_bom: int = 50) -> tuple[list[Part], list[BomLine]]:
    """n_lines lines in BOMs of per_bom lines: each assembly uses the next assembly plus purchased parts."""
    n_boms = max(1, n_lines // per_bom)
    parts = [Part(f"ASM-{b:05d}", f"Assembly {b}", "A", "EA", "Assembly") for b in range(n_boms)]
    lines: list[BomLine] = []
    for b in range(n_boms):
        for i in range(per_bom):
            if i == 0 and b + 1 < n_boms:
                component, uom = f"ASM-{b + 1:05d}", "EA"
            else:
                component, uom = f"PRT-{b:05d}-{i:03d}", ("mm" if i % 3 else "EA")
                parts.append(Part(component, f"Part {component}", "A", uom, "Machined Part", "BUY"))
            lines.append(BomLine(f"ASM-{b:05d}", "A", 10 * (i + 1), component, "A", Decimal(i % 9 + 1), uom))
    return parts, lines


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(n_lines: int, scenario: str, changed: int) -> dict:
    """One scenario in this process: seconds to map and to plan, counts, memory before and at peak."""
    spec = load_spec(SPEC)
    parts, lines = synthetic(n_lines)
    stored: dict = {}
    if scenario == "delta":  # what the state store holds after the first sync, then k lines change
        plan = build_plan(spec, map_released_bom(spec, parts, lines).desired(), {})
        stored = fold_applied({}, [c for item in plan.items for c in applied_changes(item)])
        del plan
        step = max(1, len(lines) // changed)
        for i in range(0, step * changed, step):
            lines[i] = replace(lines[i], quantity=lines[i].quantity + 1)
    before = _rss_mib()
    c0, t0 = time.process_time(), time.perf_counter()
    mapped = map_released_bom(spec, parts, lines)
    t1 = time.perf_counter()
    plan = build_plan(spec, mapped.desired(), stored)
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "lines": len(lines),
        "parts": len(parts),
        "scenario": scenario,
        "counts": plan.counts(),
        "map_s": t1 - t0,
        "plan_s": t2 - t1,
        "cpu_s": c2 - c0,
        "rss_before_mib": before,
        "peak_mib": _peak_mib(),
    }


def _child(n_lines: int, scenario: str, changed: int) -> dict:
    cmd = [sys.executable, __file__, "--child", str(n_lines), scenario, "--changed", str(changed)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(r: dict) -> str:
    total, cpu = r["map_s"] + r["plan_s"], r["cpu_s"]
    engine = r["peak_mib"] - r["rss_before_mib"]
    ops = ", ".join(f"{k} {v}" for k, v in r["counts"].items() if v)
    lines = [
        f"{r['lines']:>9,} lines, {r['scenario']:<5} -> {ops}",
        f"    map {r['map_s']:6.2f} s + plan {r['plan_s']:6.2f} s = {total:6.2f} s "
        f"({r['lines'] / total:,.0f} lines/s), CPU {cpu:6.2f} s" + _against(cpu, TARGET_SECONDS.get(r["lines"]), "s"),
        f"    peak memory {r['peak_mib']:7,.0f} MiB (input records and stored state {r['rss_before_mib']:,.0f} MiB, "
        f"map + plan {engine:,.0f} MiB)" + _against(r["peak_mib"], TARGET_PEAK_MIB.get(r["lines"]), "MiB"),
    ]
    return "\n".join(lines)


def _against(value: float, target: float | None, unit: str) -> str:
    if target is None:
        return ""
    return f"  [target <= {target:,.0f} {unit}: {'OK' if value <= target else 'OVER'}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 1_000_000])
    parser.add_argument("--changed", type=int, default=100, help="lines changed in the delta scenario")
    parser.add_argument("--child", nargs=2, metavar=("LINES", "SCENARIO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(int(args.child[0]), args.child[1], args.changed)))
        return
    for size in args.sizes:
        for scenario in ("first", "delta"):
            print(report(_child(size, scenario, args.changed)), flush=True)


if __name__ == "__main__":
    main()
