"""Field conflicts: a field whose source and target disagree, open (one per entity, key and field) until a
person settles it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from resources.state.engine import StateDatabase
from resources.state.errors import StateStoreError, require
from resources.state.schema import CONFLICT_STATUSES, OPEN_CONFLICT_WHERE, ConflictRow, utcnow
from resources.state.sql import upsert


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """A field whose source and target values disagree and that a person must settle."""

    entity: str
    key: str
    field: str
    source_value: Any
    target_value: Any


@dataclass(frozen=True, slots=True)
class Conflict:
    id: int
    entity: str
    key: str
    field: str
    source_value: Any
    target_value: Any
    status: str
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    run_id: int | None
    detected_at: datetime


class Conflicts:
    """Records, lists and settles field conflicts."""

    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def add(self, run_id: int | None, conflicts: Sequence[FieldConflict]) -> None:
        """Record field conflicts for a person; a field already open gets its values refreshed."""
        latest = {(c.entity, c.key, c.field): c for c in conflicts}  # one row per field per statement
        rows = [
            dict(
                entity=c.entity,
                key=c.key,
                field=c.field,
                source_value=c.source_value,
                target_value=c.target_value,
                status="open",
                run_id=run_id,
                detected_at=utcnow(),
            )
            for c in latest.values()
        ]
        if not rows:
            return
        with self._db.write() as conn:
            upsert(
                conn,
                ConflictRow,
                rows,
                ["entity", "key", "field"],
                ["source_value", "target_value", "run_id", "detected_at"],
                index_where=OPEN_CONFLICT_WHERE,
            )

    def awaiting(self, entity: str | None = None) -> list[Conflict]:
        """Conflicts awaiting a person, oldest first."""
        stmt = select(ConflictRow.__table__).where(ConflictRow.status == "open")
        if entity is not None:
            stmt = stmt.where(ConflictRow.entity == entity)
        with self._db.read() as conn:
            return [Conflict(**row._mapping) for row in conn.execute(stmt.order_by(ConflictRow.id))]

    def resolve(self, conflict_id: int, resolution: str, resolved_by: str) -> None:
        """Settle an open conflict, saying how (e.g. "keep_source", "keep_target") and who decided."""
        require(resolution=resolution, resolved_by=resolved_by)
        stmt = (
            update(ConflictRow)
            .where(ConflictRow.id == conflict_id, ConflictRow.status == "open")
            .values(
                status=CONFLICT_STATUSES[1],
                resolution=resolution,
                resolved_by=resolved_by,
                resolved_at=utcnow(),
            )
        )
        with self._db.write() as conn:
            if conn.execute(stmt).rowcount == 0:
                raise StateStoreError(f"conflict {conflict_id} does not exist or is not open")
