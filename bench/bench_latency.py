"""Benchmark: change order released in the PLM -> ERP shows it, under the `make dev` stack. Prints figures.

Starts what `make dev` starts (sandbox PLM and ERP, the webhook receiver with the PLM subscribed, the
released assemblies as partitions, dagster-daemon running `plm_change_sensor` and the run queue) in a
scratch data dir and DAGSTER_HOME, on free ports, syncs every assembly once, then releases change orders
through the PLM's REST API and polls the ERP until the changed BOM line shows the new quantity. Two cases:
a leaf change (a subassembly used by one top-level assembly) and a shared-subassembly change (used by the
most top-level assemblies, so the sensor requests a run for each). Each case waits for the runs to finish
before the next release, so every release is measured from an idle stack.

    .venv/bin/python bench/bench_latency.py [--releases 10] [--poll 0.5] [--timeout 600] [--cases leaf shared]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGET_MEDIAN_S, TARGET_MAX_S = 15.0, 30.0
ACTIVE = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pick_cases(plm, tops: list[str]) -> dict[str, tuple[str, int]]:
    """(subassembly, find number of a purchased line) for a leaf change and a shared-subassembly change."""
    users: Counter[str] = Counter()
    lines_of: dict[str, list] = {}
    for top in tops:
        bom = plm.released_bom(top)
        for parent in {ln.parent_number for ln in bom.lines} - {top}:
            users[parent] += 1
        for ln in bom.lines:
            lines_of.setdefault(ln.parent_number, []).append(ln)

    def first_leaf_line(parent: str) -> int | None:
        return next((ln.find_number for ln in lines_of[parent] if ln.component_number not in lines_of), None)

    usable = [p for p in users if first_leaf_line(p) is not None]
    leaf = min((p for p in usable if users[p] == 1), key=lambda p: p)
    shared = max(usable, key=lambda p: (users[p], p))
    print(f"leaf change: {leaf} (used by 1 assembly); shared change: {shared} (used by {users[shared]} assemblies)")
    return {"leaf": (leaf, first_leaf_line(leaf)), "shared": (shared, first_leaf_line(shared))}


def erp_quantity(erp, material: str, find_number: int) -> str | None:
    bom = erp.read_bom(material, "1000")
    item_number = str(find_number).zfill(4)
    for item in bom.items if bom else ():
        if item.get("BillOfMaterialItemNumber") == item_number:
            return str(item.get("BillOfMaterialItemQuantity"))
    return None


def phases(inst, released_at: float) -> tuple[float, float, float, float] | None:
    """Where one release's time went, from the first run the sensor requested after it: seconds from the
    release to the run's creation (sensor tick), to its launch (run queue), to its start (run process up)
    and the run itself (steps)."""
    import dagster as dg

    after = datetime.fromtimestamp(released_at, UTC)
    records = inst.get_run_records(
        filters=dg.RunsFilter(created_after=after), order_by="create_timestamp", ascending=True
    )
    if not records:
        return None
    record = records[0]
    stats = inst.get_run_stats(record.dagster_run.run_id)
    created = record.create_timestamp.timestamp()
    launched, started, ended = stats.launch_time or created, stats.start_time or created, stats.end_time or created
    return created - released_at, launched - created, started - launched, ended - started


def wait_idle(inst, timeout_s: float = 300.0) -> None:
    import dagster as dg

    statuses = [dg.DagsterRunStatus[s] for s in ACTIVE]
    deadline = time.monotonic() + timeout_s
    while inst.get_runs(filters=dg.RunsFilter(statuses=statuses)) and time.monotonic() < deadline:
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=10, help="releases per case (after one warm-up)")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between ERP reads")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on one release after this long")
    parser.add_argument("--cases", nargs="+", choices=("leaf", "shared"), default=["leaf", "shared"])
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mfg-latency-"))
    os.environ["MFG_SYNC_DATA_DIR"] = str(work / "data")
    os.environ["DAGSTER_HOME"] = str(work / "dagster_home")
    (work / "dagster_home").mkdir(parents=True)
    print(f"scratch dir {work}")

    from orchestration import bom_runs
    from orchestration.local_stack import local_stack
    from resources.erp import ERPResource
    from resources.plm import PLMResource
    from sandbox.plm.change_order import BomEdits, release_change

    inst = bom_runs.instance()
    with local_stack(receiver_port=_free_port()) as stack:
        started = time.monotonic()
        outcomes = bom_runs.run_bom_sync(inst, stack.released)
        print(
            f"first sync: {len(outcomes)} assemblies, {sum(o.success for o in outcomes)} succeeded, "
            f"{time.monotonic() - started:.0f} s"
        )
        with PLMResource.from_env().client() as plm:
            cases = pick_cases(plm, stack.released)
        plm_facts = stack.sandbox.facts["plm"]
        log = open(work / "daemon.log", "w")  # noqa: SIM115 - lives as long as the daemon
        daemon = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", str(REPO / "workspace.yaml")],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        results: dict[str, list[float]] = {}
        where: dict[str, list[tuple[float, ...]]] = {}
        try:
            with ERPResource.from_env().client() as erp:
                for case, (material, find_number) in ((c, cases[c]) for c in args.cases):
                    results[case] = []
                    for n in range(args.releases + 1):  # release 0 warms the daemon up, not counted
                        before = erp_quantity(erp, material, find_number)
                        quantity = Decimal(200 + n + (0 if case == "leaf" else 50))
                        release_change(
                            plm_facts["base_url"],
                            material,
                            BomEdits({find_number: quantity}),
                            email=plm_facts["email"],
                            password=plm_facts["password"],
                            workspace_id=plm_facts["workspace_id"],
                            title=f"latency bench {case} {n}",
                        )
                        released, released_at = time.monotonic(), time.time()
                        while erp_quantity(erp, material, find_number) == before:
                            if time.monotonic() - released > args.timeout:
                                raise SystemExit(f"{case} release {n}: the ERP did not show it in {args.timeout} s")
                            time.sleep(args.poll)
                        seconds = time.monotonic() - released
                        label = "warm-up" if n == 0 else f"release {n}"
                        print(f"  {case:<6} {label:<10} {material} line {find_number} -> {quantity}: {seconds:5.1f} s")
                        wait_idle(inst)
                        if n:
                            results[case].append(seconds)
                            spent = phases(inst, released_at)
                            if spent:
                                where.setdefault(case, []).append(spent)
        finally:
            daemon.terminate()
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
            log.close()

    print(f"\nrelease -> ERP shows it, {args.releases} releases per case (target median <= {TARGET_MEDIAN_S:.0f} s, ")
    print(f"max <= {TARGET_MAX_S:.0f} s):")
    ok = bool(results)
    for case, seconds in results.items():
        median, worst = statistics.median(seconds), max(seconds)
        met = median <= TARGET_MEDIAN_S and worst <= TARGET_MAX_S
        ok &= met
        verdict = "OK" if met else "OVER"
        print(f"  {case:<6} median {median:5.1f} s  max {worst:5.1f} s  min {min(seconds):5.1f} s  {verdict}")
    print("where the time goes (medians, first run after each release):")
    for case, spent in where.items():
        sensor, queue, launch, run = (statistics.median(column) for column in zip(*spent, strict=True))
        print(
            f"  {case:<6} sensor tick {sensor:4.1f} s, run queue {queue:4.1f} s, run process start {launch:4.1f} s, "
            f"run {run:5.1f} s"
        )
    print(f"daemon log: {work / 'daemon.log'}")
    print("all within target" if ok else "over target (see where the time goes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
