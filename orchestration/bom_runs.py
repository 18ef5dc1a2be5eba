"""Running the BOM sync through Dagster from outside the UI (CLI, demo, benchmark).

Runs execute in this process but are recorded in the Dagster instance at DAGSTER_HOME, so they show up
in the UI afterwards with their plans, counts and checks.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets.keys import ERP_BOM_PLAN, ERP_BOMS, ERP_MATERIAL_PLAN, ERP_MATERIALS, FULL_EXTRACT_TAG
from assets.partitions import assemblies
from orchestration import run_report
from orchestration.dead_runs import process_tags
from orchestration.instance_config import ensure_local_instance
from orchestration.settings import REPO_ROOT
from resources.erp.connections import DEFAULT_CONNECTION
from resources.state import StateStore

APPLY_ASSETS = (ERP_MATERIALS.to_user_string(), ERP_BOMS.to_user_string())
PLAN_ASSETS = (ERP_MATERIAL_PLAN.to_user_string(), ERP_BOM_PLAN.to_user_string())
COUNTS = ("created", "updated", "deleted", "unchanged", "failed")
# The terminal gets one line per assembly; the full event log is in the run, in the UI.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def instance() -> dg.DagsterInstance:
    """The persistent instance at DAGSTER_HOME (default `.dagster_home` in the checkout)."""
    home = os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home"))
    ensure_local_instance(Path(home))  # pools, run queue, telemetry off; an existing dagster.yaml wins
    return dg.DagsterInstance.get()


def register_assemblies(inst: dg.DagsterInstance, released: Iterable[str]) -> list[str]:
    """Add partitions for released assemblies Dagster does not know yet; returns the new ones."""
    known = set(inst.get_dynamic_partitions(assemblies.name))
    new = [number for number in released if number not in known]
    if new:
        inst.add_dynamic_partitions(assemblies.name, new)
    return new


@dataclass
class AssemblyOutcome:
    assembly: str
    success: bool
    run_id: str
    duration_s: float
    counts: dict[str, int] = field(default_factory=dict)  # created/updated/... (apply) or to_create/... (plan)
    by_asset: dict[str, dict[str, int]] = field(default_factory=dict)  # the same counts per asset
    api_calls: dict[str, int] = field(default_factory=dict)  # HTTP requests per system: steps, checks and auth
    checks_failed: list[str] = field(default_factory=list)
    error: str = ""


def connection_assets(connection: str, dry_run: bool) -> tuple[str, ...]:
    """The plan (dry run) or apply assets of a connection's BOM sync, as strings."""
    if connection == DEFAULT_CONNECTION:
        return PLAN_ASSETS if dry_run else APPLY_ASSETS
    from assets.connection_bom_sync import connection_keys

    keys = connection_keys(connection)
    names = ("material_plan", "bom_plan") if dry_run else ("materials", "boms")
    return tuple(keys[n].to_user_string() for n in names)


def job_name(connection: str, dry_run: bool) -> str:
    if connection == DEFAULT_CONNECTION:
        return "bom_plan" if dry_run else "bom_sync"
    return f"bom_plan_{connection}" if dry_run else f"bom_sync_{connection}"


def run_bom_sync(
    inst: dg.DagsterInstance,
    numbers: Iterable[str],
    dry_run: bool = False,
    on_done: Callable[[AssemblyOutcome], None] | None = None,
    full_extract: bool = False,
    connection: str = DEFAULT_CONNECTION,
) -> list[AssemblyOutcome]:
    """One `bom_sync` (or `bom_plan` when dry_run) run per assembly, in order; another connection's
    `bom_sync_<name>` (`bom_plan_<name>`); `full_extract` tags the runs so the PLM extract reads everything
    again.

    A person is watching these runs, so they do not sit out op retries (minutes apart): a failure is
    reported at once. MFG_SYNC_RETRY_DELAYS_S set explicitly still wins.
    """
    os.environ.setdefault("MFG_SYNC_RETRY_DELAYS_S", "none")
    from orchestration.definitions import defs  # imports every asset: only when a run is wanted

    job = defs.resolve_job_def(job_name(connection, dry_run))
    outcomes = []
    store = None if dry_run else StateStore.from_env()  # a failed run's counts come from what it stored
    try:
        for number in numbers:
            started = time.monotonic()
            result = job.execute_in_process(
                partition_key=number,
                instance=inst,
                raise_on_error=False,
                tags={
                    "mfg-sync/trigger": "cli",
                    **process_tags(),
                    **({FULL_EXTRACT_TAG: "true"} if full_extract else {}),
                },
                run_config=QUIET_CONSOLE,
            )
            outcome = _outcome(number, result, time.monotonic() - started, connection_assets(connection, dry_run))
            run_report.explain(outcome, result, store)
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    finally:
        if store is not None:
            store.dispose()
    return outcomes


def _add_requests(outcome: AssemblyOutcome, metadata: dict) -> None:
    """Every HTTP request a step or check sent (`<system>_attempts`: retries, CSRF and token fetches, logins
    included), as the systems themselves count them."""
    for system in ("plm", "erp"):
        sent = metadata.get(f"{system}_attempts")
        if isinstance(sent, (int, float)):
            outcome.api_calls[system] = outcome.api_calls.get(system, 0) + int(sent)


def _outcome(
    number: str, result: dg.ExecuteInProcessResult, duration: float, wanted: tuple[str, ...]
) -> AssemblyOutcome:
    outcome = AssemblyOutcome(number, result.success, result.run_id, round(duration, 2))
    counted_steps = set()  # a multi-asset step reports its calls on each output: count them once
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        if event.step_key not in counted_steps:
            counted_steps.add(event.step_key)
            _add_requests(outcome, metadata)
        asset = materialization.asset_key.to_user_string()
        if asset in wanted:
            counts = {n: v for n, v in metadata.items() if isinstance(v, int) and (n in COUNTS or n.startswith("to_"))}
            outcome.by_asset[asset] = counts
            for name, value in counts.items():
                outcome.counts[name] = outcome.counts.get(name, 0) + value
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":  # checks that read a system report it too
            _add_requests(outcome, {k: v.value for k, v in event.event_specific_data.metadata.items()})
        if event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
            outcome.checks_failed.append(event.event_specific_data.check_name)
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            outcome.error = outcome.error or (error.message.strip().splitlines()[0] if error else event.message)
    return outcome
