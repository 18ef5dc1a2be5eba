"""Why a CLI run failed and what it really did: the root cause under Dagster's wrapper text (system, request,
status, the system's message; a spec problem's file, entity and field) and the counts the state store holds."""

from __future__ import annotations

from typing import Any

import dagster as dg

from expectations.blocked import ERROR_CODE as BLOCKED
from resources.state import StateStore

WRAPPER_PREFIXES = ("dagster.", "dagster._")
MAX_LINES = 12  # a spec with many problems: the first dozen on the terminal, all of them in the event log


def root_cause(error: Any) -> str:
    """The innermost cause of a Dagster error info, as `Class: message` without module path."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    message = (getattr(error, "message", "") or "").strip()
    name, sep, rest = message.partition(": ")
    if sep and " " not in name:  # "resources.transport.errors.RetryableError: erp: ..." -> "RetryableError: erp: ..."
        message = f"{name.rsplit('.', 1)[-1]}: {rest}"
    lines = message.splitlines()
    shown = lines[:MAX_LINES] + (
        [f"... and {len(lines) - MAX_LINES} more line(s) in the run's event log"] if len(lines) > MAX_LINES else []
    )
    return "\n".join(shown)


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """The root cause of the first failure in a run's events (a step, a resource's setup, the run)."""
    for event in result.all_events:
        if not event.is_failure and event.event_type_value not in ("RESOURCE_INIT_FAILURE", "ENGINE_EVENT"):
            continue
        error = getattr(event.event_specific_data, "error", None)
        if error is not None:
            return root_cause(error)
    return ""


def stored_totals(store: StateStore, run_id: str) -> dict[str, int]:
    """created/updated/deleted/dead_lettered of a Dagster run, from the state store."""
    return store.totals_of_dagster_run(run_id)


def explain(outcome: Any, result: dg.ExecuteInProcessResult, store: StateStore | None) -> None:
    """On a failed run: the root cause as its error, and the counts the state store holds as its counts."""
    if outcome.success:
        return
    outcome.error = failure_text(result) or outcome.error
    if store is None:
        return
    totals = stored_totals(store, outcome.run_id)
    for name in ("created", "updated", "deleted"):
        outcome.counts[name] = totals[name]
    outcome.counts["failed"] = totals["dead_lettered"]
    blocked = blocked_records(store, outcome.run_id)
    if blocked:
        outcome.error = "\n".join([outcome.error, *blocked] if outcome.error else blocked)


def blocked_records(store: StateStore, run_id: str) -> list[str]:
    """One line per record a blocking check of this run stopped (kept as a dead letter with the reason)."""
    runs = {run.id for run in store.runs_of_dagster_run(run_id)}
    letters = [d for d in store.open_dead_letters() if d.run_id in runs and d.error_code == BLOCKED]
    lines = [f"not written: {d.entity} {d.key}: {d.message}" for d in letters[:MAX_LINES]]
    if len(letters) > MAX_LINES:
        lines.append(f"... and {len(letters) - MAX_LINES} more: mfg-sync state dead-letters")
    return lines
