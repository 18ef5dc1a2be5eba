"""Run every benchmark script in bench/ (`bench_*.py`) in turn with its defaults, printing their figures.

`make bench` calls this. `python bench/run_all.py sync` runs only the scripts whose name contains "sync".
Exits non-zero when any script fails, after running the others.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def scripts(names: list[str]) -> list[Path]:
    """bench_*.py in name order, filtered by the given name parts (all when none)."""
    found = sorted(BENCH_DIR.glob("bench_*.py"))
    return [p for p in found if not names or any(n in p.stem for n in names)]


def run(script: Path) -> tuple[int, float]:
    """Run one script from the repository root; its output goes straight to ours."""
    print(f"\n=== {script.name} ===", flush=True)
    started = time.perf_counter()
    code = subprocess.call([sys.executable, str(script)], cwd=BENCH_DIR.parent)
    return code, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    names = sys.argv[1:] if argv is None else argv
    chosen = scripts(names)
    if not chosen:
        print(f"no bench script in {BENCH_DIR} matches {names}", file=sys.stderr)
        return 2
    outcomes = [(script.name, *run(script)) for script in chosen]
    print("\n=== summary ===")
    for name, code, seconds in outcomes:
        print(f"{name:<24} {'ok' if code == 0 else f'FAILED (exit {code})':<18} {seconds:7.1f} s")
    return 0 if all(code == 0 for _, code, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
