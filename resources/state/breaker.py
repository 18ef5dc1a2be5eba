"""The circuit breaker per flow: after `threshold` consecutive failed runs schedules and sensors stop
asking for runs of that flow until one run succeeds or a person resets it. Free of Dagster; callers pass
the threshold from their settings (`resources.trigger_settings.breaker_threshold()`).

The state lives in the state store's `sync_runs` table, no table of its own:
- open    = the flow's last N runs that finished are failed attempts: failed, or partial (some records
            failed) (`StateStore.consecutive_failures`);
- since   = when the N-th failure of the current streak finished;
- reset   = a marker run in partition `@breaker-reset` with status "succeeded" and zero counts, which ends
            the streak exactly as a successful run does (`mfg-sync breaker reset`).
"""

from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass
from datetime import datetime

from resources.state.runs import FAILED_ATTEMPTS, SyncRun
from resources.state.store import StateStore

RESET_PARTITION = "@breaker-reset"
COMPLETED = ("succeeded",)  # the status that ends a failure streak (as StateStore counts them)


@dataclass(frozen=True)
class BreakerState:
    """Whether a flow's breaker is open, since when, and the failures that opened it."""

    flow: str
    threshold: int
    failures: int  # consecutive failed attempts (failed or partial runs) since the last success
    since: datetime | None  # when the threshold-th failure finished (None while closed)
    last_failed_run: str | None  # Dagster run id of the newest failure, if any

    @property
    def is_open(self) -> bool:
        return self.failures >= self.threshold

    def reason(self) -> str:
        """The skip reason schedules and sensors give while the breaker is open."""
        when = self.since.isoformat(timespec="seconds") if self.since else "an unknown time"
        return (
            f"circuit breaker for flow {self.flow!r} is open since {when} after {self.failures} consecutive "
            f"failed runs (last run {self.last_failed_run or '-'}); a successful run or "
            f"`mfg-sync breaker reset --flow {self.flow}` closes it"
        )


def _failure_streak(store: StateStore, flow: str, failures: int) -> list[SyncRun]:
    """The failed runs of the current streak, oldest first (running/canceled runs interleave and are skipped)."""
    streak: list[SyncRun] = []
    for run in store.recent_runs(flow, limit=max(50, 4 * failures)):
        if run.status in COMPLETED:
            break
        if run.status in FAILED_ATTEMPTS:
            streak.append(run)
    return list(reversed(streak))


def breaker_state(store: StateStore, flow: str, threshold: int) -> BreakerState:
    """The breaker of `flow` as the state store's runs say it is now; open at `threshold` failures in a row."""
    if threshold < 1:
        raise ValueError(f"flow {flow!r}: the breaker threshold must be >= 1, got {threshold}")
    failures = store.consecutive_failures(flow)
    if failures == 0:
        return BreakerState(flow, threshold, 0, None, None)
    streak = _failure_streak(store, flow, failures)
    opening = streak[min(threshold, len(streak)) - 1] if streak and failures >= threshold else None
    since = (opening.finished_at or opening.started_at) if opening else None
    return BreakerState(flow, threshold, failures, since, streak[-1].dagster_run_id if streak else None)


def reset_breaker(store: StateStore, flow: str, by: str | None = None) -> int:
    """Close the breaker of `flow` by recording a manual-reset marker run; returns the marker's run id."""
    who = by or _user()
    run_id = store.start_run(flow, RESET_PARTITION, f"breaker-reset:{who}:{uuid.uuid4().hex[:12]}")
    store.finish_run(run_id, "succeeded")
    return run_id


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"
