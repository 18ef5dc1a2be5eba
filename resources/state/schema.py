"""SQLAlchemy 2 models of the sync-state store.

The migrations in `resources/state/migrations/versions/` create exactly these tables; a test compares the two.
Timestamps are stored in UTC and always come back timezone-aware (SQLite forgets the zone otherwise).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sync.severity import OPERATIONAL

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")

RUN_STATUSES = ("started", "succeeded", "partial", "failed", "canceled")
DEAD_LETTER_STATUSES = ("open", "retrying", "resolved", "discarded", "replayed")
DEFAULT_SEVERITY = OPERATIONAL  # business impact of a failure (sync/severity.py)
# a dead letter in one of these states is "live": a repeat failure updates it instead of adding a row
LIVE_DEAD_LETTER_STATUSES = ("open", "retrying")
CONFLICT_STATUSES = ("open", "resolved")
# a drop is "received" until a sensor turns it into runs ("processed") or quarantines it ("rejected")
DROP_STATUSES = ("received", "processed", "rejected")
LIVE_DEAD_LETTER_WHERE = text("status IN ('open', 'retrying')")
OPEN_CONFLICT_WHERE = text("status = 'open'")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC, returned aware on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the state store needs timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class SyncRunRow(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_flow_partition", "flow", "partition", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(100))
    partition: Mapped[str] = mapped_column(String(200), server_default="")
    correlation_id: Mapped[str] = mapped_column(String(64))
    dagster_run_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    created: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")
    deleted: Mapped[int] = mapped_column(Integer, server_default="0")
    unchanged: Mapped[int] = mapped_column(Integer, server_default="0")
    failed: Mapped[int] = mapped_column(Integer, server_default="0")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)  # why it failed, when known (e.g. its process was killed)


class IdMapRow(Base):
    __tablename__ = "id_map"
    __table_args__ = (
        UniqueConstraint("entity", "source_key", name="uq_id_map_source"),
        UniqueConstraint("entity", "target_key", name="uq_id_map_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(255))
    target_key: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordStateRow(Base):
    __tablename__ = "record_state"

    entity: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    checksum: Mapped[str] = mapped_column(String(128))
    payload: Mapped[Any] = mapped_column(JSONType, nullable=True)
    source_version: Mapped[str | None] = mapped_column(String(100))
    target_version: Mapped[str | None] = mapped_column(String(100))
    spec_version: Mapped[str | None] = mapped_column(String(100))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_key", "entity", "key", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(10))
    before: Mapped[Any] = mapped_column(JSONType, nullable=True)
    after: Mapped[Any] = mapped_column(JSONType, nullable=True)
    checksum: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeadLetterRow(Base):
    __tablename__ = "dead_letters"
    __table_args__ = (
        # at most one live dead letter per record and flow: repeats bump `attempts`
        Index(
            "uq_dead_letters_live",
            "flow",
            "entity",
            "key",
            unique=True,
            sqlite_where=LIVE_DEAD_LETTER_WHERE,
            postgresql_where=LIVE_DEAD_LETTER_WHERE,
        ),
        Index("ix_dead_letters_status", "status", "flow"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(10))
    payload: Mapped[Any] = mapped_column(JSONType, nullable=True)
    error_code: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    retryable: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer, server_default="1")
    status: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    severity: Mapped[str] = mapped_column(String(20), server_default=DEFAULT_SEVERITY)


class WebhookDropRow(Base):
    __tablename__ = "webhook_drops"
    __table_args__ = (UniqueConstraint("source", "event_id", name="uq_webhook_drops_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[Any] = mapped_column(JSONType, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), server_default="received")
    reason: Mapped[str | None] = mapped_column(Text)


class ConflictRow(Base):
    __tablename__ = "conflicts"
    __table_args__ = (
        # one open conflict per field: a re-detected conflict refreshes the values
        Index(
            "uq_conflicts_open",
            "entity",
            "key",
            "field",
            unique=True,
            sqlite_where=OPEN_CONFLICT_WHERE,
            postgresql_where=OPEN_CONFLICT_WHERE,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(100))
    source_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    target_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    resolution: Mapped[str | None] = mapped_column(String(100))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConnectionSwitchRow(Base):
    """`mfg-sync connections enable|disable NAME`: overrides the connections file's `enabled` default."""

    __tablename__ = "connection_switches"

    connection: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeaseRow(Base):
    __tablename__ = "leases"
    # a named lock with an expiry: held while a run writes shared records, renewed while it lives, so a
    # run killed with its lease held blocks others for one lease period at most

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100), index=True)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlmCacheRow(Base):
    """What a PLM extract read, keyed by (kind, item number, effective revision): an effective revision's
    details and BOM never change; `validated_at` is when the change feed last confirmed its child refs."""

    __tablename__ = "plm_extract_cache"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # item, bom, change_number, change, top
    number: Mapped[str] = mapped_column(String(255), primary_key=True)
    revision: Mapped[str] = mapped_column(String(100), primary_key=True)
    payload: Mapped[Any] = mapped_column(JSONType, nullable=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())
    validated_at: Mapped[datetime] = mapped_column(UTCDateTime())


TABLE_NAMES = tuple(sorted(Base.metadata.tables))
