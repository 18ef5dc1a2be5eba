"""`make demo`: the sandbox PLM, ERP, EAM and MES come up, every released assembly is synced through Dagster,
then the maintenance flows (orchestration/demo_maintenance.py) and the shop floor
(orchestration/demo_shop_floor.py), and a short report says what was written. State
persists (sandbox, state store, Dagster runs), so running it again right away writes nothing to the ERP, and
says so."""

from __future__ import annotations

import os
import time

import httpx

from assets.keys import ERP_BOMS, ERP_MATERIALS
from orchestration import bom_runs, demo_maintenance, demo_shop_floor
from orchestration.local_stack import local_stack, stop_cleanly_on_sigterm
from orchestration.local_tryton import local_tryton
from orchestration.settings import data_dir
from sandbox.cli import format_summaries


def _get(url: str) -> dict:
    return httpx.get(url, timeout=10).json()


def main() -> int:
    stop_cleanly_on_sigterm()
    started = time.monotonic()
    # Tryton first: the code location reads the local server's tryton.json when it is loaded
    with local_tryton() as (tryton, tryton_note), local_stack() as stack:
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
        tryton_outcomes = _sync_to_tryton(tryton, stack.released, format_outcome) if tryton else []
        print("\nMaintenance flows EAM <-> ERP through Dagster:")
        maintenance = demo_maintenance.run(print)
        print("\nShop floor ERP <-> MES through Dagster:")
        shop_floor = demo_shop_floor.run(print)
    print(report(outcomes, stats, time.monotonic() - started, tryton_outcomes, tryton_note))
    print("\n".join(demo_maintenance.report_lines(maintenance)))
    print("\n".join(demo_shop_floor.report_lines(shop_floor)))
    failed = [o for o in [*maintenance.outcomes] if o.available and not o.success]
    ok = all(o.success for o in [*outcomes, *tryton_outcomes]) and not failed and demo_shop_floor.succeeded(shop_floor)
    return 0 if ok else 1


def _sync_to_tryton(server, released: list[str], format_outcome) -> list[bom_runs.AssemblyOutcome]:
    """The same assemblies to the local Tryton (the `tryton` connection), through Dagster."""
    print(f"\nSyncing them PLM -> Tryton ({server.url}, database {server.database}) through Dagster:")
    return bom_runs.run_bom_sync(
        bom_runs.instance(), released, on_done=lambda o: print(format_outcome(o, False)), connection="tryton"
    )


def report(
    outcomes: list[bom_runs.AssemblyOutcome],
    stats: dict[str, dict],
    seconds: float,
    tryton_outcomes: list[bom_runs.AssemblyOutcome] = (),
    tryton_note: str = "",
) -> str:
    def written(asset: str, runs=outcomes) -> int:
        return sum(sum(o.by_asset.get(asset, {}).get(n, 0) for n in ("created", "updated", "deleted")) for o in runs)

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
    if tryton_note:
        lines.append(f"  Tryton: not synced: {tryton_note}.")
    elif tryton_outcomes:
        products, boms = (written(f"tryton/{name}", tryton_outcomes) for name in ("materials", "boms"))
        if products + boms == 0:
            lines.append("  Nothing was written to Tryton: it already matches the released PLM BOMs.")
        else:
            lines.append(
                f"  Written to Tryton: {products} products and {boms} BOM headers/lines (as production BOM versions)."
            )
        tryton_calls = sum(o.api_calls.get("erp", 0) for o in tryton_outcomes)
        lines.append(f"  Tryton JSON-RPC requests: {tryton_calls} (login included)")
    lines.append(
        "  API calls of the BOM sync: " + ", ".join(f"{s.upper()} {st['calls_total']}" for s, st in stats.items())
    )
    runs = [*outcomes, *tryton_outcomes]
    failed = [o.assembly for o in runs if not o.success]
    lines.append(f"  Runs: {len(runs) - len(failed)} succeeded" + (f", FAILED: {', '.join(failed)}" if failed else ""))
    lines.append(f"  Time taken: {seconds:.1f} s")
    lines.append(
        "  Look at it: `make dev`, then open http://127.0.0.1:3000 -> Runs (these runs), Lineage -> "
        "erp/bom_plan, erp/boms and tryton/bom_plan, tryton/boms (plans, counts, checks per assembly)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
