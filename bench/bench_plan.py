"""Benchmark: map + plan a synthetic 50,000-line BOM set, first sync and a k-line delta. Prints figures."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from sync.applied import applied_changes, fold_applied
from sync.mapping import map_released_bom
from sync.planner import build_plan
from sync.records import BomLine, Part
from sync.spec_builder import load_spec

SPEC = Path(__file__).resolve().parents[1] / "mappings" / "plm_to_erp.yaml"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--changed", type=int, default=100)
    args = parser.parse_args()
    spec = load_spec(SPEC)
    parts, lines = synthetic(args.lines)

    t0 = time.perf_counter()
    mapped = map_released_bom(spec, parts, lines)
    t1 = time.perf_counter()
    plan = build_plan(spec, mapped.desired(), {})
    t2 = time.perf_counter()
    stored = fold_applied({}, [c for item in plan.items for c in applied_changes(item)])
    print(f"first sync: {len(lines)} lines, {len(parts)} parts -> {plan.counts()}")
    print(f"  map  {t1 - t0:6.2f} s  {len(lines) / (t1 - t0):>10,.0f} lines/s")
    print(f"  plan {t2 - t1:6.2f} s  {len(lines) / (t2 - t1):>10,.0f} lines/s")

    step = max(1, len(lines) // args.changed)
    for i in range(0, step * args.changed, step):
        lines[i] = replace(lines[i], quantity=lines[i].quantity + 1)
    t3 = time.perf_counter()
    mapped = map_released_bom(spec, parts, lines)
    t4 = time.perf_counter()
    delta = build_plan(spec, mapped.desired(), stored)
    t5 = time.perf_counter()
    print(f"delta ({args.changed} lines changed) -> {delta.counts()}")
    print(f"  map  {t4 - t3:6.2f} s  {len(lines) / (t4 - t3):>10,.0f} lines/s")
    print(f"  plan {t5 - t4:6.2f} s  {len(lines) / (t5 - t4):>10,.0f} lines/s")
    print(f"  map + plan {t5 - t3:6.2f} s")


if __name__ == "__main__":
    main()
