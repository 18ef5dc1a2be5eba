"""The audit trail: one row per applied change (before, after, checksum), never updated or deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from resources.state.engine import StateDatabase
from resources.state.schema import AuditRow
from sync.records import AppliedChange


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    run_id: int
    entity: str
    key: str
    operation: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    checksum: str | None
    at: datetime


class AuditTrail:
    """Reads the history of one record."""

    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def record_history(self, entity: str, key: str) -> list[AuditEntry]:
        """Every applied change of one record, oldest first."""
        stmt = select(AuditRow.__table__).where(AuditRow.entity == entity, AuditRow.key == key).order_by(AuditRow.id)
        with self._db.read() as conn:
            return [AuditEntry(**row._mapping) for row in conn.execute(stmt)]


def write_audit(conn: Connection, run_id: int, applied: Sequence[AppliedChange], now: datetime) -> None:
    """One audit row per applied change, in the caller's transaction (one executemany insert)."""
    if not applied:
        return
    rows = [
        dict(
            run_id=run_id,
            entity=c.entity,
            key=c.key,
            operation=c.operation,
            before=c.before,
            after=c.after,
            checksum=c.checksum,
            at=now,
        )
        for c in applied
    ]
    conn.execute(AuditRow.__table__.insert(), rows)
