"""Sync runs: one row per run of a flow and partition, with its status and operation counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from resources.state.engine import StateDatabase
from resources.state.errors import StateStoreError, require
from resources.state.schema import RUN_STATUSES, SyncRunRow, utcnow

COUNT_FIELDS = ("created", "updated", "deleted", "unchanged", "failed")
FAILED_ATTEMPTS = ("failed", "partial")  # what the circuit breaker counts: a run with failed records too


@dataclass(frozen=True, slots=True)
class SyncRun:
    id: int
    flow: str
    partition: str
    correlation_id: str
    dagster_run_id: str | None
    status: str
    counts: dict[str, int]
    started_at: datetime
    finished_at: datetime | None
    reason: str | None = None


class SyncRuns:
    """Start, finish and look up sync runs."""

    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def start(self, flow: str, partition: str | None, correlation_id: str, dagster_run_id: str | None = None) -> int:
        """Record the start of a sync run; returns its id (pass it to `record_batch` and `finish`)."""
        require(flow=flow, correlation_id=correlation_id)
        with self._db.write() as conn:
            stmt = (
                SyncRunRow.__table__.insert()
                .values(
                    flow=flow,
                    partition=partition or "",
                    correlation_id=correlation_id,
                    dagster_run_id=dagster_run_id,
                    status="started",
                    started_at=utcnow(),
                )
                .returning(SyncRunRow.id)
            )
            return conn.execute(stmt).scalar_one()

    def finish(
        self, run_id: int, status: str, counts: Mapping[str, int] | None = None, reason: str | None = None
    ) -> None:
        """Close a run with its final status, operation counts (keys from COUNT_FIELDS) and, for a failure,
        the reason."""
        if status not in RUN_STATUSES or status == "started":
            raise StateStoreError(f"run {run_id}: status {status!r} is not one of {RUN_STATUSES[1:]}")
        values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
        if reason is not None:
            values["reason"] = reason
        for name, value in (counts or {}).items():
            if name not in COUNT_FIELDS:
                raise StateStoreError(f"run {run_id}: unknown count {name!r} (expected {COUNT_FIELDS})")
            if not isinstance(value, int) or value < 0:
                raise StateStoreError(f"run {run_id}: count {name!r} must be a non-negative int, got {value!r}")
            values[name] = value
        with self._db.write() as conn:
            result = conn.execute(update(SyncRunRow).where(SyncRunRow.id == run_id).values(**values))
            if result.rowcount == 0:
                raise StateStoreError(f"run {run_id} does not exist")

    def fail_started(self, dagster_run_id: str, reason: str) -> list[int]:
        """Close the still-started sync runs of a Dagster run as failed with `reason` (its process is gone);
        returns their ids."""
        require(dagster_run_id=dagster_run_id, reason=reason)
        started = (SyncRunRow.dagster_run_id == dagster_run_id) & (SyncRunRow.status == "started")
        with self._db.write() as conn:
            ids = list(conn.execute(select(SyncRunRow.id).where(started)).scalars())
            if ids:
                conn.execute(
                    update(SyncRunRow)
                    .where(SyncRunRow.id.in_(ids))
                    .values(status="failed", finished_at=utcnow(), reason=reason)
                )
        return ids

    def of_dagster_run(self, dagster_run_id: str) -> list[SyncRun]:
        """The sync runs recorded for one Dagster run, oldest first."""
        stmt = select(SyncRunRow.__table__).where(SyncRunRow.dagster_run_id == dagster_run_id).order_by(SyncRunRow.id)
        with self._db.read() as conn:
            return [_run(row) for row in conn.execute(stmt)]

    def get(self, run_id: int) -> SyncRun | None:
        """One run by id."""
        with self._db.read() as conn:
            row = conn.execute(select(SyncRunRow.__table__).where(SyncRunRow.id == run_id)).first()
        return _run(row) if row else None

    def recent(self, flow: str | None = None, partition: str | None = None, limit: int = 20) -> list[SyncRun]:
        """Newest runs first, optionally of one flow and one partition."""
        stmt = select(SyncRunRow.__table__).order_by(SyncRunRow.id.desc()).limit(limit)
        if flow is not None:
            stmt = stmt.where(SyncRunRow.flow == flow)
        if partition is not None:
            stmt = stmt.where(SyncRunRow.partition == partition)
        with self._db.read() as conn:
            return [_run(row) for row in conn.execute(stmt)]

    def last_successful(self, flow: str, partition: str | None = None) -> SyncRun | None:
        """The most recently started run of `flow` (in `partition`, if given) that succeeded."""
        stmt = (
            select(SyncRunRow.__table__)
            .where(SyncRunRow.flow == flow, SyncRunRow.status == "succeeded")
            .order_by(SyncRunRow.id.desc())
            .limit(1)
        )
        if partition is not None:
            stmt = stmt.where(SyncRunRow.partition == partition)
        with self._db.read() as conn:
            row = conn.execute(stmt).first()
        return _run(row) if row else None

    def consecutive_failures(self, flow: str) -> int:
        """Failed attempts of `flow` since its last run that succeeded, in start order.

        A failed attempt is a run that failed or one that ended "partial" (some records failed: an outage
        mid-run must open the breaker). Runs still going and canceled runs neither count nor reset the streak.
        """
        last_ok = (
            select(func.coalesce(func.max(SyncRunRow.id), 0))
            .where(SyncRunRow.flow == flow, SyncRunRow.status == "succeeded")
            .scalar_subquery()
        )
        stmt = select(func.count()).where(
            SyncRunRow.flow == flow, SyncRunRow.status.in_(FAILED_ATTEMPTS), SyncRunRow.id > last_ok
        )
        with self._db.read() as conn:
            return conn.execute(stmt).scalar_one()


def _run(row: Any) -> SyncRun:
    m = row._mapping
    return SyncRun(
        id=m["id"],
        flow=m["flow"],
        partition=m["partition"],
        correlation_id=m["correlation_id"],
        dagster_run_id=m["dagster_run_id"],
        status=m["status"],
        counts={name: m[name] for name in COUNT_FIELDS},
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        reason=m["reason"],
    )
