"""Dead letters: changes that failed to apply, kept (one live letter per flow, entity and key) until a later
success resolves them or a person discards them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from resources.state.engine import StateDatabase
from resources.state.errors import StateStoreError
from resources.state.schema import (
    DEAD_LETTER_STATUSES,
    LIVE_DEAD_LETTER_STATUSES,
    LIVE_DEAD_LETTER_WHERE,
    DeadLetterRow,
    utcnow,
)
from resources.state.sql import chunks, group_keys, upsert
from sync.records import FailedChange


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    flow: str
    entity: str
    key: str
    operation: str
    payload: dict[str, Any] | None
    error_code: str
    message: str
    retryable: bool
    attempts: int
    status: str
    run_id: int | None
    first_seen: datetime
    last_seen: datetime
    severity: str = "operational"


class DeadLetters:
    """Lists, moves and resolves dead letters."""

    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def live(self, flow: str | None = None, entity: str | None = None) -> list[DeadLetter]:
        """Live dead letters (open or retrying), oldest first."""
        stmt = select(DeadLetterRow.__table__).where(DeadLetterRow.status.in_(LIVE_DEAD_LETTER_STATUSES))
        if flow is not None:
            stmt = stmt.where(DeadLetterRow.flow == flow)
        if entity is not None:
            stmt = stmt.where(DeadLetterRow.entity == entity)
        with self._db.read() as conn:
            return [DeadLetter(**row._mapping) for row in conn.execute(stmt.order_by(DeadLetterRow.id))]

    def by_ids(self, ids: Iterable[int]) -> list[DeadLetter]:
        """These dead letters (any status), by id."""
        stmt = select(DeadLetterRow.__table__).where(DeadLetterRow.id.in_(list(ids)))
        with self._db.read() as conn:
            return [DeadLetter(**row._mapping) for row in conn.execute(stmt.order_by(DeadLetterRow.id))]

    def mark(self, dead_letter_id: int, status: str) -> None:
        """Move a dead letter to `status` (open, retrying, resolved, discarded)."""
        if status not in DEAD_LETTER_STATUSES:
            raise StateStoreError(f"dead letter {dead_letter_id}: status {status!r} not in {DEAD_LETTER_STATUSES}")
        stmt = update(DeadLetterRow).where(DeadLetterRow.id == dead_letter_id).values(status=status)
        try:
            with self._db.write() as conn:
                if conn.execute(stmt).rowcount == 0:
                    raise StateStoreError(f"dead letter {dead_letter_id} does not exist")
        except IntegrityError:
            raise StateStoreError(
                f"dead letter {dead_letter_id}: another live dead letter exists for the same flow, entity and key"
            ) from None

    def resolve_for(self, flow: str, entity: str, keys: Iterable[str]) -> int:
        """Resolve the live dead letters of these records (a later success); returns how many."""
        with self._db.write() as conn:
            return resolve_dead_letters(conn, flow, {(entity, k) for k in keys}, utcnow())


def write_dead_letters(conn: Connection, run_id: int, flow: str, failed: Sequence[FailedChange], now: datetime) -> None:
    """Each failure becomes a live dead letter, or bumps `attempts` of the live one (caller's transaction)."""
    if not failed:
        return
    # a record failing twice in one batch is one dead letter with two attempts
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for f in failed:
        row = merged.get((f.entity, f.key))
        attempts = row["attempts"] + 1 if row else 1
        merged[(f.entity, f.key)] = dict(
            flow=flow,
            entity=f.entity,
            key=f.key,
            operation=f.operation,
            payload=f.payload,
            error_code=f.error_code,
            message=f.message,
            retryable=f.retryable,
            attempts=attempts,
            status="open",
            run_id=run_id,
            first_seen=now,
            last_seen=now,
            severity=f.severity,
        )
    upsert(
        conn,
        DeadLetterRow,
        list(merged.values()),
        ["flow", "entity", "key"],
        ["operation", "payload", "error_code", "message", "retryable", "run_id", "last_seen", "severity"],
        index_where=LIVE_DEAD_LETTER_WHERE,
        # a repeat counts its attempts; a failed retry is open again
        extra_set=lambda excluded: {"attempts": DeadLetterRow.attempts + excluded.attempts, "status": "open"},
    )


def resolve_dead_letters(conn: Connection, flow: str, records: set[tuple[str, str]], now: datetime) -> int:
    """Resolve the live dead letters of these (entity, key) records in `flow`; returns how many."""
    resolved = 0
    for entity, keys in group_keys(records).items():
        for chunk in chunks(keys):
            stmt = (
                update(DeadLetterRow)
                .where(
                    DeadLetterRow.flow == flow,
                    DeadLetterRow.entity == entity,
                    DeadLetterRow.key.in_(chunk),
                    DeadLetterRow.status.in_(LIVE_DEAD_LETTER_STATUSES),
                )
                .values(status="resolved", last_seen=now)
            )
            resolved += conn.execute(stmt).rowcount
    return resolved
