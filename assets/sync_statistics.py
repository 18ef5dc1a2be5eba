"""`sync_statistics`: the monitoring dashboard inside the Dagster UI, from the sync-state store.

Per flow and partition (assembly): last run and its status, last successful sync, success rate over the
last N runs, records processed and errors. Numbers overall and per flow go to the metadata so the UI
plots them run over run. Reads the state store only.
"""

from collections import defaultdict
from datetime import datetime

import dagster as dg
import pandas as pd

from assets.keys import OWNERS, SYNC_STATISTICS
from assets.metadata import rows_table
from resources.state import DeadLetter, SyncRun, SyncStateResource
from sync.severity import SEVERITIES

COLUMNS = [
    "flow",
    "partition",
    "runs",
    "succeeded",
    "partial",
    "failed",
    "success_rate",
    "last_status",
    "last_run_at",
    "last_success_at",
    "records_processed",
    "records_written",
    "errors",
]
FINISHED = ("succeeded", "partial", "failed")
HISTORY_LIMIT = 5000  # newest runs read from the store, enough for N runs of a few hundred partitions


class SyncStatisticsConfig(dg.Config):
    window: int = 20  # the last N runs of each flow and partition


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def partition_row(flow: str, partition: str, runs: list[SyncRun], last_success: SyncRun | None) -> dict:
    """Statistics of one flow and partition over its `runs` (newest first)."""
    status = defaultdict(int)
    for run in runs:
        status[run.status] += 1
    finished = sum(status[s] for s in FINISHED)
    processed = sum(sum(run.counts.get(k, 0) for k in ("created", "updated", "deleted", "unchanged")) for run in runs)
    written = sum(sum(run.counts.get(k, 0) for k in ("created", "updated", "deleted")) for run in runs)
    return {
        "flow": flow,
        "partition": partition,
        "runs": len(runs),
        "succeeded": status["succeeded"],
        "partial": status["partial"],
        "failed": status["failed"],
        "success_rate": round(status["succeeded"] / finished, 4) if finished else None,
        "last_status": runs[0].status,
        "last_run_at": _iso(runs[0].started_at),
        "last_success_at": _iso(last_success.finished_at or last_success.started_at) if last_success else "",
        "records_processed": processed,
        "records_written": written,
        "errors": sum(run.counts.get("failed", 0) for run in runs),
    }


def statistics_frame(runs: list[SyncRun], window: int, last_success) -> pd.DataFrame:
    """One row per flow and partition; `last_success(flow, partition)` finds the last good run beyond the window."""
    groups: dict[tuple[str, str], list[SyncRun]] = defaultdict(list)
    for run in runs:  # newest first
        if len(groups[(run.flow, run.partition)]) < window:
            groups[(run.flow, run.partition)].append(run)
    rows = [
        partition_row(flow, part, group, last_success(flow, part)) for (flow, part), group in sorted(groups.items())
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _rate(frame: pd.DataFrame) -> float:
    finished = int(frame[["succeeded", "partial", "failed"]].to_numpy().sum())
    return round(int(frame["succeeded"].sum()) / finished, 4) if finished else 0.0


def plot_metadata(frame: pd.DataFrame) -> dict[str, float | int]:
    """Plain numbers (overall and per flow) the UI plots across materializations."""
    out: dict[str, float | int] = {
        "partitions": len(frame),
        "runs_in_window": int(frame["runs"].sum()) if len(frame) else 0,
        "success_rate": _rate(frame) if len(frame) else 0.0,
        "records_processed": int(frame["records_processed"].sum()) if len(frame) else 0,
        "errors": int(frame["errors"].sum()) if len(frame) else 0,
    }
    for flow, rows in frame.groupby("flow"):
        out[f"{flow}_success_rate"] = _rate(rows)
        out[f"{flow}_errors"] = int(rows["errors"].sum())
        out[f"{flow}_failed_runs"] = int(rows["failed"].sum())
    return out


def severity_metadata(letters: list[DeadLetter]) -> dict[str, int]:
    """Open dead letters by business severity, overall and per flow (plant-critical first in the UI)."""
    out = {f"open_dead_letters_{s.replace('-', '_')}": sum(d.severity == s for d in letters) for s in SEVERITIES}
    for flow in sorted({d.flow for d in letters}):
        for severity in SEVERITIES:
            name = f"{flow}_dead_letters_{severity.replace('-', '_')}"
            out[name] = sum(d.flow == flow and d.severity == severity for d in letters)
    return out


@dg.asset(
    key=SYNC_STATISTICS,
    group_name="monitoring",
    kinds={"pandas", "parquet"},
    owners=OWNERS,
    description="Per flow and assembly: last successful sync, success rate over the last N runs, records "
    "processed and errors (from the sync-state store).",
)
def sync_statistics(
    context: dg.AssetExecutionContext, config: SyncStatisticsConfig, sync_state: SyncStateResource
) -> dg.Output:
    store = sync_state.store()
    frame = statistics_frame(store.recent_runs(limit=HISTORY_LIMIT), config.window, store.last_successful_run)
    context.log.info(f"sync statistics: {len(frame)} flow/partition rows")
    table = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return dg.Output(
        frame,
        metadata={
            **plot_metadata(frame),
            **severity_metadata(store.open_dead_letters()),
            "window": config.window,
            "statistics": rows_table(table, COLUMNS),
        },
    )
