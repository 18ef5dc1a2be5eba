"""Running the maintenance flows and their reconciliation through Dagster from outside the UI (CLI, demo).

Runs execute in this process and are recorded in the instance at DAGSTER_HOME, like `sync bom`'s. `FLOWS` is
the one table of which job (and which of its assets) a `--flow` runs and which apply assets it reports; a
flow whose job this deployment does not define is reported "not available" instead of run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from assets.keys import (
    EAM_ASSETS_SYNC,
    EAM_BALANCES,
    EAM_WORK_ORDER_MATERIALS,
    EAM_WORK_ORDERS,
    ERP_GOODS_ISSUES,
    ERP_RESERVATION_PLAN,
    ERP_RESERVATIONS,
    MAINTENANCE_RECONCILIATION,
)
from assets.partitions import sites
from orchestration import bom_runs, run_report
from orchestration.dead_runs import process_tags
from resources.state import StateStore

COUNTS = ("created", "updated", "reversed", "failed")
RESERVATION_OPS = {"create": "created", "update_item": "updated", "flag_deleted": "updated", "retire": "updated"}
REVERSAL_TYPES = {"202", "262"}


@dataclass(frozen=True)
class Flow:
    job: str
    assets: tuple[dg.AssetKey, ...] = ()  # the job's assets this flow runs; empty = the whole job
    reports: tuple[dg.AssetKey, ...] = ()  # the apply assets whose outcome it prints


# --flow name -> what runs. Goods issues post against their work order's reservation, so that flow runs the
# reservations first (the whole maintenance_sync job).
FLOWS: dict[str, Flow] = {
    "reservations": Flow(
        "maintenance_sync",
        (EAM_WORK_ORDERS, EAM_WORK_ORDER_MATERIALS, ERP_RESERVATION_PLAN, ERP_RESERVATIONS),
        (ERP_RESERVATIONS,),
    ),
    "goods-issues": Flow(
        "maintenance_sync",
        reports=(ERP_RESERVATIONS, ERP_GOODS_ISSUES),
    ),
    "stock": Flow("maintenance_stock_sync", reports=(EAM_BALANCES,)),
    "assets": Flow("asset_master_sync", reports=(EAM_ASSETS_SYNC,)),
}
FLOW_OF_ASSET = {
    ERP_RESERVATIONS: "reservations",
    ERP_GOODS_ISSUES: "goods-issues",
    EAM_BALANCES: "stock",
    EAM_ASSETS_SYNC: "assets",
}


@dataclass
class FlowOutcome:
    flow: str
    site: str
    available: bool = True
    success: bool = True
    run_id: str = ""
    job: str = ""
    duration_s: float = 0.0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    api_calls: dict[str, int] = field(default_factory=dict)  # HTTP requests per system, the systems' count
    error: str = ""


def _job_names() -> set[str]:
    from orchestration.definitions import defs  # imports every asset: only when a run is wanted

    return {job.name for job in defs.jobs}


def _counts(flow: str, frame: pd.DataFrame | None, metadata: dict) -> dict[str, int]:
    """created/updated/reversed/failed of one apply asset, from its result table (one row per change)."""
    counts = dict.fromkeys(COUNTS, 0)
    if frame is None or not len(frame):
        counts["failed"] = int(metadata.get("failed", 0) or 0)
        return counts
    for row in frame.to_dict("records"):
        if row.get("status") == "failed":
            counts["failed"] += 1
        elif row.get("status") == "already posted":  # another run posted it: nothing written by this one
            continue
        elif flow == "reservations":
            counts[RESERVATION_OPS.get(str(row.get("op")), "updated")] += 1
        elif flow == "stock":  # a counted adjustment of a balance; skipped ones wait for their posting
            counts["updated"] += row.get("status") == "adjusted"
        elif flow == "assets":
            counts["created"] += row.get("status") == "created"
            counts["updated"] += row.get("status") == "applied"
        else:
            counts["reversed" if str(row.get("movement_type")) in REVERSAL_TYPES else "created"] += 1
    return counts


def _outcomes(name: str, site: str, result: dg.ExecuteInProcessResult, seconds: float) -> list[FlowOutcome]:
    """One outcome per flow the run reported (a goods-issues run reports its reservations too), sharing the
    run's request counts: every request the steps sent, as the systems count them (`<system>_attempts`)."""
    reported = [FLOW_OF_ASSET[key] for key in FLOWS[name].reports]
    by_flow = {
        flow: FlowOutcome(flow, site, True, result.success, result.run_id, FLOWS[name].job, round(seconds, 2))
        for flow in reported
    }
    calls: dict[str, int] = {}
    counted_steps = set()  # a multi-asset step reports its calls on each output: count them once
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        if event.step_key not in counted_steps:
            counted_steps.add(event.step_key)
            for system in ("eam", "erp"):
                sent = metadata.get(f"{system}_attempts")
                if isinstance(sent, (int, float)):
                    calls[system] = calls.get(system, 0) + int(sent)
        flow = FLOW_OF_ASSET.get(materialization.asset_key)
        if flow in by_flow:
            try:
                frame = result.asset_value(materialization.asset_key)
            except Exception:  # a table the io manager cannot load: the metadata's failed count still tells
                frame = None
            by_flow[flow].counts = _counts(flow, frame, metadata)
    error = run_report.failure_text(result)
    outcomes = list(by_flow.values())
    for outcome in outcomes:
        outcome.error = error
        # as in the BOM sync, a record that failed fails the run (its dead letter says why)
        outcome.success = outcome.success and outcome.counts["failed"] == 0
    outcomes[-1].api_calls = calls  # the run's requests, once: on its last line
    return outcomes


def run_maintenance_sync(
    inst: dg.DagsterInstance,
    flows: Iterable[str],
    site_keys: Iterable[str],
    on_done: Callable[[FlowOutcome], None] | None = None,
) -> list[FlowOutcome]:
    """One run per site and distinct (job, assets) of the flows asked for; flows whose job is missing are
    reported unavailable. A person is watching: op retries (minutes apart) are off unless set explicitly."""
    os.environ.setdefault("MFG_SYNC_RETRY_DELAYS_S", "none")
    from orchestration.definitions import defs

    available, outcomes = _job_names(), []
    wanted = list(dict.fromkeys(flows))
    if "goods-issues" in wanted and "reservations" in wanted:
        wanted.remove("reservations")  # the goods-issues run syncs the reservations first
    store = StateStore.from_env()  # a failed run's counts come from what it stored
    try:
        for site in site_keys:
            known = set(inst.get_dynamic_partitions(sites.name))
            if site not in known:
                inst.add_dynamic_partitions(sites.name, [site])
            for name in wanted:
                flow = FLOWS[name]
                if flow.job not in available:
                    outcome = FlowOutcome(name, site, available=False, job=flow.job)
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
                    continue
                started = time.monotonic()
                job = defs.resolve_job_def(flow.job)
                result = job.execute_in_process(
                    partition_key=site,
                    instance=inst,
                    raise_on_error=False,
                    asset_selection=list(flow.assets) or None,
                    tags={"mfg-sync/trigger": "cli", **process_tags()},
                    run_config=bom_runs.QUIET_CONSOLE,
                )
                for outcome in _outcomes(name, site, result, time.monotonic() - started):
                    if not result.success and not any(outcome.counts.values()):  # a step broke off: no table
                        totals = run_report.stored_totals(store, outcome.run_id)
                        outcome.counts["failed"] = totals["dead_lettered"]
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
    finally:
        store.dispose()
    return outcomes


@dataclass
class MaintenanceReconciliationOutcome:
    success: bool
    run_id: str
    counts: dict[str, int] = field(default_factory=dict)  # kind -> differences
    areas: dict[str, int] = field(default_factory=dict)  # area -> differences
    differences: int = 0
    sites: str = ""
    report_path: str = ""
    error: str = ""


def run_maintenance_reconciliation(
    inst: dg.DagsterInstance, site_keys: list[str], verbose: bool = False
) -> MaintenanceReconciliationOutcome:
    """One `maintenance_reconciliation` run; the event log reaches the terminal only when `verbose`."""
    from orchestration.definitions import defs

    job = defs.resolve_job_def("maintenance_reconciliation")
    run_config = {
        "ops": {MAINTENANCE_RECONCILIATION.to_python_identifier(): {"config": {"sites": list(site_keys)}}},
        **({} if verbose else bom_runs.QUIET_CONSOLE),
    }
    result = job.execute_in_process(
        instance=inst, run_config=run_config, raise_on_error=False, tags={"mfg-sync/trigger": "cli"}
    )
    outcome = MaintenanceReconciliationOutcome(result.success, result.run_id, error=run_report.failure_text(result))
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key != MAINTENANCE_RECONCILIATION:
            continue
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        outcome.counts = {k.removeprefix("diff_"): int(v) for k, v in metadata.items() if k.startswith("diff_")}
        outcome.areas = {k.removeprefix("area_"): int(v) for k, v in metadata.items() if k.startswith("area_")}
        outcome.differences = int(metadata.get("differences", 0))
        outcome.sites = str(metadata.get("sites", ""))
        outcome.report_path = str(metadata.get("report_path", ""))
    return outcome
