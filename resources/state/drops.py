"""Webhook and event drops: each event stored once by (source, event id), read by sensors in arrival order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from resources.state.engine import StateDatabase
from resources.state.errors import require
from resources.state.schema import WebhookDropRow, utcnow
from resources.state.sql import chunks, dialect_insert


@dataclass(frozen=True, slots=True)
class WebhookDrop:
    id: int
    source: str
    event_id: str
    event_type: str
    payload: Any
    received_at: datetime
    processed_at: datetime | None
    status: str = "received"  # received | processed | rejected
    reason: str | None = None  # why a sensor rejected it


class WebhookDrops:
    """Adds drops once, pages through them by id, stamps them processed or rejected."""

    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def add(self, source: str, event_id: str, event_type: str, payload: Any) -> bool:
        """Drop an event once: True when stored, False when (source, event_id) was already there."""
        require(source=source, event_id=event_id, event_type=event_type)
        values = dict(source=source, event_id=event_id, event_type=event_type, payload=payload, received_at=utcnow())
        with self._db.write() as conn:
            stmt = (
                dialect_insert(conn)(WebhookDropRow)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["source", "event_id"])
            )
            return conn.execute(stmt).rowcount == 1

    def after(
        self, cursor_id: int, source: str | None = None, limit: int = 500, unprocessed_only: bool = False
    ) -> list[WebhookDrop]:
        """Drops with id > `cursor_id`, in arrival order (a sensor keeps the last id as its cursor)."""
        stmt = select(WebhookDropRow.__table__).where(WebhookDropRow.id > cursor_id)
        if source is not None:
            stmt = stmt.where(WebhookDropRow.source == source)
        if unprocessed_only:
            stmt = stmt.where(WebhookDropRow.processed_at.is_(None))
        with self._db.read() as conn:
            rows = conn.execute(stmt.order_by(WebhookDropRow.id).limit(limit))
            return [WebhookDrop(**row._mapping) for row in rows]

    def mark_processed(self, ids: Iterable[int]) -> int:
        """Stamp drops as processed (once); returns how many were newly stamped."""
        done = 0
        with self._db.write() as conn:
            for chunk in chunks(sorted(set(ids))):
                stmt = (
                    update(WebhookDropRow)
                    .where(WebhookDropRow.id.in_(chunk), WebhookDropRow.processed_at.is_(None))
                    .values(processed_at=utcnow(), status="processed")
                )
                done += conn.execute(stmt).rowcount
        return done

    def reject(self, drop_id: int, reason: str) -> bool:
        """Quarantine a drop no sensor can process: status `rejected`, the reason kept, stamped processed
        so no tick reads it again. False when it was already processed or rejected (a repeated tick)."""
        require(reason=reason)
        stmt = (
            update(WebhookDropRow)
            .where(WebhookDropRow.id == drop_id, WebhookDropRow.processed_at.is_(None))
            .values(processed_at=utcnow(), status="rejected", reason=reason)
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def rejected(self, source: str | None = None) -> list[WebhookDrop]:
        """Quarantined drops, oldest first, with the reason each was rejected."""
        stmt = select(WebhookDropRow.__table__).where(WebhookDropRow.status == "rejected")
        if source is not None:
            stmt = stmt.where(WebhookDropRow.source == source)
        with self._db.read() as conn:
            return [WebhookDrop(**row._mapping) for row in conn.execute(stmt.order_by(WebhookDropRow.id))]

    def add_rejected(self, source: str, event_id: str, event_type: str, payload: Any, reason: str) -> bool:
        """Keep an event that failed validation at ingest (status `rejected`, the reason, already processed),
        once by (source, event id): it is never lost, and never starts a run."""
        require(source=source, event_id=event_id, reason=reason)
        now = utcnow()
        values = dict(source=source, event_id=event_id, event_type=event_type or "invalid", payload=payload)
        values.update(received_at=now, processed_at=now, status="rejected", reason=reason)
        with self._db.write() as conn:
            stmt = (
                dialect_insert(conn)(WebhookDropRow)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["source", "event_id"])
            )
            return conn.execute(stmt).rowcount == 1

    def add_batch(self, source: str, events: list[tuple[str, str, Any, str | None]]) -> list[bool]:
        """Several drops in ONE transaction, each (event id, event type, payload, rejection reason or None);
        per event True when stored now, False when (source, event id) was there already (or earlier in the batch)."""
        now, stored = utcnow(), []
        with self._db.write() as conn:
            insert = dialect_insert(conn)
            for event_id, event_type, payload, reason in events:
                require(source=source, event_id=event_id, event_type=event_type)
                values = dict(source=source, event_id=event_id, event_type=event_type, payload=payload, received_at=now)
                if reason is not None:
                    values.update(processed_at=now, status="rejected", reason=reason)
                stmt = (
                    insert(WebhookDropRow)
                    .values(**values)
                    .on_conflict_do_nothing(index_elements=["source", "event_id"])
                )
                stored.append(conn.execute(stmt).rowcount == 1)
        return stored
