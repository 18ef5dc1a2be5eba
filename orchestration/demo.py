"""`make demo`: the sandbox PLM, ERP and EAM come up, every released assembly is synced through Dagster, then
the maintenance flows (orchestration/demo_maintenance.py), and a short report says what was written. State
persists (sandbox, state store, Dagster runs), so running it again right away writes nothing to the ERP, and
says so."""

from __future__ import annotations

import os
import time

import httpx

from assets.keys import ERP_BOMS, ERP_MATERIALS
from orchestration import bom_runs, demo_maintenance
from orchestration.local_stack import local_stack
from orchestration.settings import data_dir
from sandbox.cli import format_summaries


def _get(url: str) -> dict:
    return httpx.get(url, timeout=10).json()


def main() -> int:
    started = time.monotonic()
    with local_stack() as stack:
        sandbox = stack.sandbox
        print("Sandbox systems (state kept in", data_dir() / "sandbox", ")")
        print(format_summaries({s: _get(f"{sandbox.base_url(s)}/_sandbox/summary") for s in sandbox.servers}))
        print(f"PLM change webhooks -> {stack.receiver.plm_url}")
        print(
            f"\nSyncing {len(stack.released)} released assemblies PLM -> ERP through Dagster "
            f"(DAGSTER_HOME={os.environ['DAGSTER_HOME']}):"
        )
        from orchestration.cli_sync import format_outcome

        outcomes = bom_runs.run_bom_sync(
            bom_runs.instance(), stack.released, on_done=lambda o: print(format_outcome(o, False))
        )
        stats = {s: _get(f"{sandbox.base_url(s)}/_sandbox/stats") for s in sandbox.servers}
        print("\nMaintenance flows EAM <-> ERP through Dagster:")
        maintenance = demo_maintenance.run(print)
    print(report(outcomes, stats, time.monotonic() - started))
    print("\n".join(demo_maintenance.report_lines(maintenance)))
    failed = [o for o in maintenance.outcomes if o.available and not o.success]
    return 0 if all(o.success for o in outcomes) and not failed else 1


def report(outcomes: list[bom_runs.AssemblyOutcome], stats: dict[str, dict], seconds: float) -> str:
    def written(asset: str) -> int:
        return sum(
            sum(o.by_asset.get(asset, {}).get(n, 0) for n in ("created", "updated", "deleted")) for o in outcomes
        )

    materials, bom_records = written(ERP_MATERIALS.to_user_string()), written(ERP_BOMS.to_user_string())
    erp_writes = stats["erp"]["writes"]
    lines = ["", "Report"]
    if erp_writes == 0:
        lines.append("  Nothing was written to the ERP: it already matches the released PLM BOMs.")
    else:
        lines.append(
            f"  Written to the ERP: {materials} materials and {bom_records} BOM headers/items "
            f"({erp_writes} stored entities, counted by the ERP itself)."
        )
    lines.append("  API calls: " + ", ".join(f"{s.upper()} {st['calls_total']}" for s, st in stats.items()))
    failed = [o.assembly for o in outcomes if not o.success]
    lines.append(
        f"  Runs: {len(outcomes) - len(failed)} succeeded" + (f", FAILED: {', '.join(failed)}" if failed else "")
    )
    lines.append(f"  Time taken: {seconds:.1f} s")
    lines.append(
        "  Look at it: `make dev`, then open http://127.0.0.1:3000 -> Runs (these runs), Lineage -> "
        "erp/bom_plan, erp/boms (plans, counts, checks per assembly)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
