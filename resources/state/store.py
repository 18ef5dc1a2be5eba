"""The sync-state store: ID map, record checksums, audit trail, dead letters, webhook drops, conflicts.

SQLAlchemy 2 over SQLite by default (`$MFG_SYNC_DATA_DIR/state.db`) or PostgreSQL by URL
(`MFG_SYNC_STATE_URL`). The schema is migrated with Alembic on first use (or `mfg-sync state upgrade`).
Free of Dagster: the orchestration room wraps a `StateStore` in a resource.

JSON payloads are stored as JSON: Decimal values come back as strings, datetimes as ISO-8601 strings.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    Select,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError

from resources.state import migrations
from resources.state.schema import (
    CONFLICT_STATUSES,
    DEAD_LETTER_STATUSES,
    LIVE_DEAD_LETTER_STATUSES,
    LIVE_DEAD_LETTER_WHERE,
    OPEN_CONFLICT_WHERE,
    RUN_STATUSES,
    AuditRow,
    ConflictRow,
    DeadLetterRow,
    IdMapRow,
    RecordStateRow,
    SyncRunRow,
    WebhookDropRow,
    utcnow,
)
from sync.records import OPERATIONS, AppliedChange, FailedChange, StoredRecord

ENV_URL = "MFG_SYNC_STATE_URL"
ENV_SCHEMA = "MFG_SYNC_STATE_SCHEMA"
ENV_DATA_DIR = "MFG_SYNC_DATA_DIR"
COUNT_FIELDS = ("created", "updated", "deleted", "unchanged", "failed")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CHUNK = 500  # keys per IN (...) list and rows per multi-row statement
_ROWS_PER_STATEMENT = 200  # keeps a multi-row VALUES under both backends' bound-parameter limits
READ_ONLY_OPTION = "mfg_sync_read_only"  # execution option: a SQLite read starts a deferred transaction


class StateStoreError(Exception):
    """A state-store call that cannot be honoured (unknown id, bad status, bad URL...)."""


# --- rows handed back to callers --------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class WebhookDrop:
    id: int
    source: str
    event_id: str
    event_type: str
    payload: Any
    received_at: datetime
    processed_at: datetime | None
    status: str = "received"
    reason: str | None = None  # why a sensor rejected it


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


# --- engine ---------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot store a {type(value).__name__} in a JSON payload")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def default_url() -> str:
    """SQLite file under `$MFG_SYNC_DATA_DIR` (default `.mfg_sync`)."""
    data_dir = Path(os.environ.get(ENV_DATA_DIR) or ".mfg_sync")
    return f"sqlite:///{data_dir / 'state.db'}"


def normalise_url(url: str | URL) -> URL:
    """Parse a state-store URL; bare `postgresql://` (or `postgres://`) becomes `postgresql+psycopg2://`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # the raw text may hold a password: do not echo it
        raise StateStoreError("the state-store URL is not a valid SQLAlchemy URL") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StateStoreError(
            f"state-store URL {parsed.render_as_string(hide_password=True)}: "
            f"backend {parsed.get_backend_name()!r} is not supported (use sqlite or postgresql)"
        )
    return parsed


def _sqlite_engine(url: URL, options: dict[str, Any]) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, json_serializer=_dumps, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control from the driver, so "begin" below decides how a transaction starts
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # writers take the write lock up front: a deferred transaction that later writes can fail with
        # SQLITE_BUSY without waiting, whereas IMMEDIATE waits for busy_timeout; readers need no lock in WAL
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _postgres_engine(url: URL, schema: str | None, options: dict[str, Any]) -> Engine:
    connect_args = dict(options.pop("connect_args", {}))
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, json_serializer=_dumps, connect_args=connect_args, **options)


def build_engine(url: str | URL, schema: str | None = None, **options: Any) -> Engine:
    """An engine for the store: SQLite with FKs, WAL and a busy timeout; PostgreSQL in `schema` if given."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if schema:
            raise StateStoreError("a schema applies to PostgreSQL only; SQLite keeps one per file")
        return _sqlite_engine(parsed, options)
    return _postgres_engine(parsed, schema, options)


# --- the store ------------------------------------------------------------------------------------------


class StateStore:
    """Typed access to the sync-state tables. Thread-safe; migrates the schema on first use.

    `url` defaults to `MFG_SYNC_STATE_URL`, then to the SQLite file under `MFG_SYNC_DATA_DIR`.
    `schema` (PostgreSQL only) puts every table in that schema, created if missing.
    `engine_options` go to `sqlalchemy.create_engine` (e.g. `pool_size`).
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        schema: str | None = None,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise StateStoreError(f"schema name {schema!r} must match {_SCHEMA_NAME.pattern}")
        self.schema = schema
        self.engine = build_engine(
            url or os.environ.get(ENV_URL) or default_url(), schema, **dict(engine_options or {})
        )
        self._ready = False
        self._ready_lock = threading.Lock()

    @classmethod
    def from_env(cls, **kwargs: Any) -> StateStore:
        """A store for `MFG_SYNC_STATE_URL` (and `MFG_SYNC_STATE_SCHEMA`), or the default SQLite file."""
        return cls(os.environ.get(ENV_URL) or None, schema=os.environ.get(ENV_SCHEMA) or None, **kwargs)

    @property
    def safe_url(self) -> str:
        """The URL with any password masked: the only form fit for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"StateStore({self.safe_url!r})"

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()

    # --- schema ---------------------------------------------------------------------------------------

    def upgrade(self, revision: str = "head") -> str | None:
        """Apply pending migrations (idempotent, safe across processes); return the revision reached."""
        reached = migrations.upgrade(self.engine, revision, schema=self.schema)
        self._ready = revision == "head" or reached == migrations.head_revision()
        return reached

    def current_revision(self) -> str | None:
        """The schema revision of the database (None when never migrated); does not migrate."""
        with self.engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as conn:
            return migrations.current_revision(conn)

    def table_names(self) -> list[str]:
        """Tables present in the store's schema (for checks and tests)."""
        return sorted(inspect(self.engine).get_table_names())

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                self.upgrade()

    def _write(self) -> AbstractContextManager[Connection]:
        """A connection in a write transaction, committed on success, rolled back on error."""
        self._ensure_ready()
        return self.engine.begin()

    def _read(self) -> Connection:
        """A connection for reads only."""
        self._ensure_ready()
        return self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    # --- runs -----------------------------------------------------------------------------------------

    def start_run(
        self, flow: str, partition: str | None, correlation_id: str, dagster_run_id: str | None = None
    ) -> int:
        """Record the start of a sync run; returns its id (pass it to `record_batch` and `finish_run`)."""
        _require(flow=flow, correlation_id=correlation_id)
        with self._write() as conn:
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

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, int] | None = None) -> None:
        """Close a run with its final status and operation counts (keys from COUNT_FIELDS)."""
        if status not in RUN_STATUSES or status == "started":
            raise StateStoreError(f"run {run_id}: status {status!r} is not one of {RUN_STATUSES[1:]}")
        values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
        for name, value in (counts or {}).items():
            if name not in COUNT_FIELDS:
                raise StateStoreError(f"run {run_id}: unknown count {name!r} (expected {COUNT_FIELDS})")
            if not isinstance(value, int) or value < 0:
                raise StateStoreError(
                    f"run {run_id}: count {name!r} must be a non-negative int, got {value!r}"
                )
            values[name] = value
        with self._write() as conn:
            result = conn.execute(update(SyncRunRow).where(SyncRunRow.id == run_id).values(**values))
            if result.rowcount == 0:
                raise StateStoreError(f"run {run_id} does not exist")

    def get_run(self, run_id: int) -> SyncRun | None:
        """One run by id."""
        with self._read() as conn:
            row = conn.execute(select(SyncRunRow.__table__).where(SyncRunRow.id == run_id)).first()
        return _run(row) if row else None

    def recent_runs(
        self, flow: str | None = None, partition: str | None = None, limit: int = 20
    ) -> list[SyncRun]:
        """Newest runs first, optionally of one flow and one partition."""
        stmt = select(SyncRunRow.__table__).order_by(SyncRunRow.id.desc()).limit(limit)
        if flow is not None:
            stmt = stmt.where(SyncRunRow.flow == flow)
        if partition is not None:
            stmt = stmt.where(SyncRunRow.partition == partition)
        with self._read() as conn:
            return [_run(row) for row in conn.execute(stmt)]

    def last_successful_run(self, flow: str, partition: str | None = None) -> SyncRun | None:
        """The most recently started run of `flow` (in `partition`, if given) that succeeded."""
        stmt = (
            select(SyncRunRow.__table__)
            .where(SyncRunRow.flow == flow, SyncRunRow.status == "succeeded")
            .order_by(SyncRunRow.id.desc())
            .limit(1)
        )
        if partition is not None:
            stmt = stmt.where(SyncRunRow.partition == partition)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return _run(row) if row else None

    def consecutive_failures(self, flow: str) -> int:
        """Failed runs of `flow` since its last run that completed (succeeded or partial), in start order.

        Runs still going and canceled runs neither count nor reset the streak.
        """
        last_ok = (
            select(func.coalesce(func.max(SyncRunRow.id), 0))
            .where(SyncRunRow.flow == flow, SyncRunRow.status.in_(("succeeded", "partial")))
            .scalar_subquery()
        )
        stmt = select(func.count()).where(
            SyncRunRow.flow == flow, SyncRunRow.status == "failed", SyncRunRow.id > last_ok
        )
        with self._read() as conn:
            return conn.execute(stmt).scalar_one()

    # --- records --------------------------------------------------------------------------------------

    def stored_records(
        self, entity: str, keys: Iterable[str] | None = None, key_prefix: str | None = None
    ) -> dict[str, StoredRecord]:
        """What was last written for `entity`, by key; all keys, the given `keys`, or those under `key_prefix`."""
        states = _key_filtered(select(RecordStateRow.__table__), RecordStateRow.key, keys, key_prefix)
        # two filtered reads, matched here: a join planned on fresh, unanalysed tables can go quadratic
        id_maps = _key_filtered(
            select(IdMapRow.source_key, IdMapRow.target_key), IdMapRow.source_key, keys, key_prefix
        )
        found: dict[str, StoredRecord] = {}
        with self._read() as conn:
            target_keys: dict[str, str] = {}
            for stmt in id_maps:
                target_keys.update(conn.execute(stmt.where(IdMapRow.entity == entity)).tuples().all())
            for stmt in states:
                for row in conn.execute(stmt.where(RecordStateRow.entity == entity)):
                    found[row.key] = StoredRecord(
                        entity=row.entity,
                        key=row.key,
                        checksum=row.checksum,
                        payload=row.payload,
                        target_key=target_keys.get(row.key),
                        source_version=row.source_version,
                        target_version=row.target_version,
                        spec_version=row.spec_version,
                    )
        return found

    def target_keys(self, entity: str, source_keys: Iterable[str]) -> dict[str, str]:
        """The ID map: source key -> target key, for those of `source_keys` that have one."""
        found: dict[str, str] = {}
        with self._read() as conn:
            for chunk in _chunks(sorted(set(source_keys))):
                stmt = select(IdMapRow.source_key, IdMapRow.target_key).where(
                    IdMapRow.entity == entity, IdMapRow.source_key.in_(chunk)
                )
                found.update(dict(conn.execute(stmt).tuples().all()))
        return found

    def source_key_for(self, entity: str, target_key: str) -> str | None:
        """The ID map read backwards: which source record a target id belongs to."""
        stmt = select(IdMapRow.source_key).where(IdMapRow.entity == entity, IdMapRow.target_key == target_key)
        with self._read() as conn:
            return conn.execute(stmt).scalar_one_or_none()

    def record_batch(
        self, run_id: int, flow: str, applied: Sequence[AppliedChange], failed: Sequence[FailedChange]
    ) -> None:
        """Store one applied batch in ONE transaction: all of it lands, or none of it.

        Applied creates/updates upsert the record state and ID map; deletes remove both; every applied
        change gets an audit row; a success resolves the record's live dead letters in `flow`. Each
        failure becomes a dead letter, or bumps `attempts` of the live one for the same flow+entity+key.
        A few bulk statements per batch, not one per record.
        """
        _validate_batch(applied, failed)
        now = utcnow()
        with self._write() as conn:
            _write_applied(conn, run_id, applied, now)
            _resolve_dead_letters(conn, flow, {(c.entity, c.key) for c in applied}, now)
            _write_dead_letters(conn, run_id, flow, failed, now)

    # --- dead letters ---------------------------------------------------------------------------------

    def open_dead_letters(self, flow: str | None = None, entity: str | None = None) -> list[DeadLetter]:
        """Live dead letters (open or retrying), oldest first."""
        stmt = select(DeadLetterRow.__table__).where(DeadLetterRow.status.in_(LIVE_DEAD_LETTER_STATUSES))
        if flow is not None:
            stmt = stmt.where(DeadLetterRow.flow == flow)
        if entity is not None:
            stmt = stmt.where(DeadLetterRow.entity == entity)
        with self._read() as conn:
            return [DeadLetter(**row._mapping) for row in conn.execute(stmt.order_by(DeadLetterRow.id))]

    def mark_dead_letter(self, dead_letter_id: int, status: str) -> None:
        """Move a dead letter to `status` (open, retrying, resolved, discarded)."""
        if status not in DEAD_LETTER_STATUSES:
            raise StateStoreError(
                f"dead letter {dead_letter_id}: status {status!r} not in {DEAD_LETTER_STATUSES}"
            )
        stmt = update(DeadLetterRow).where(DeadLetterRow.id == dead_letter_id).values(status=status)
        try:
            with self._write() as conn:
                if conn.execute(stmt).rowcount == 0:
                    raise StateStoreError(f"dead letter {dead_letter_id} does not exist")
        except IntegrityError:
            raise StateStoreError(
                f"dead letter {dead_letter_id}: another live dead letter exists for the same flow, entity and key"
            ) from None

    def resolve_dead_letters_for(self, flow: str, entity: str, keys: Iterable[str]) -> int:
        """Resolve the live dead letters of these records (a later success); returns how many."""
        with self._write() as conn:
            return _resolve_dead_letters(conn, flow, {(entity, k) for k in keys}, utcnow())

    # --- webhook drops --------------------------------------------------------------------------------

    def add_webhook_drop(self, source: str, event_id: str, event_type: str, payload: Any) -> bool:
        """Drop an event once: True when stored, False when (source, event_id) was already there."""
        _require(source=source, event_id=event_id, event_type=event_type)
        values = dict(
            source=source, event_id=event_id, event_type=event_type, payload=payload, received_at=utcnow()
        )
        with self._write() as conn:
            stmt = (
                _insert(conn)(WebhookDropRow)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["source", "event_id"])
            )
            return conn.execute(stmt).rowcount == 1

    def webhook_drops_after(
        self, cursor_id: int, source: str | None = None, limit: int = 500, unprocessed_only: bool = False
    ) -> list[WebhookDrop]:
        """Drops with id > `cursor_id`, in arrival order (a sensor keeps the last id as its cursor)."""
        stmt = select(WebhookDropRow.__table__).where(WebhookDropRow.id > cursor_id)
        if source is not None:
            stmt = stmt.where(WebhookDropRow.source == source)
        if unprocessed_only:
            stmt = stmt.where(WebhookDropRow.processed_at.is_(None))
        with self._read() as conn:
            rows = conn.execute(stmt.order_by(WebhookDropRow.id).limit(limit))
            return [WebhookDrop(**row._mapping) for row in rows]

    def mark_drops_processed(self, ids: Iterable[int]) -> int:
        """Stamp drops as processed (once); returns how many were newly stamped."""
        done = 0
        with self._write() as conn:
            for chunk in _chunks(sorted(set(ids))):
                stmt = (
                    update(WebhookDropRow)
                    .where(WebhookDropRow.id.in_(chunk), WebhookDropRow.processed_at.is_(None))
                    .values(processed_at=utcnow(), status="processed")
                )
                done += conn.execute(stmt).rowcount
        return done

    def reject_drop(self, drop_id: int, reason: str) -> bool:
        """Quarantine a drop no sensor can process: status `rejected`, the reason kept, stamped processed
        so no tick reads it again. False when it was already processed or rejected (a repeated tick)."""
        _require(reason=reason)
        stmt = (
            update(WebhookDropRow)
            .where(WebhookDropRow.id == drop_id, WebhookDropRow.processed_at.is_(None))
            .values(processed_at=utcnow(), status="rejected", reason=reason)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def rejected_drops(self, source: str | None = None) -> list[WebhookDrop]:
        """Quarantined drops, oldest first, with the reason each was rejected."""
        stmt = select(WebhookDropRow.__table__).where(WebhookDropRow.status == "rejected")
        if source is not None:
            stmt = stmt.where(WebhookDropRow.source == source)
        with self._read() as conn:
            return [WebhookDrop(**row._mapping) for row in conn.execute(stmt.order_by(WebhookDropRow.id))]

    # --- conflicts ------------------------------------------------------------------------------------

    def add_conflicts(self, run_id: int | None, conflicts: Sequence[FieldConflict]) -> None:
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
        with self._write() as conn:
            _upsert(
                conn,
                ConflictRow,
                rows,
                ["entity", "key", "field"],
                ["source_value", "target_value", "run_id", "detected_at"],
                index_where=OPEN_CONFLICT_WHERE,
            )

    def open_conflicts(self, entity: str | None = None) -> list[Conflict]:
        """Conflicts awaiting a person, oldest first."""
        stmt = select(ConflictRow.__table__).where(ConflictRow.status == "open")
        if entity is not None:
            stmt = stmt.where(ConflictRow.entity == entity)
        with self._read() as conn:
            return [Conflict(**row._mapping) for row in conn.execute(stmt.order_by(ConflictRow.id))]

    def resolve_conflict(self, conflict_id: int, resolution: str, resolved_by: str) -> None:
        """Settle an open conflict, saying how (e.g. "keep_source", "keep_target") and who decided."""
        _require(resolution=resolution, resolved_by=resolved_by)
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
        with self._write() as conn:
            if conn.execute(stmt).rowcount == 0:
                raise StateStoreError(f"conflict {conflict_id} does not exist or is not open")

    # --- audit ----------------------------------------------------------------------------------------

    def record_history(self, entity: str, key: str) -> list[AuditEntry]:
        """Every applied change of one record, oldest first."""
        stmt = (
            select(AuditRow.__table__)
            .where(AuditRow.entity == entity, AuditRow.key == key)
            .order_by(AuditRow.id)
        )
        with self._read() as conn:
            return [AuditEntry(**row._mapping) for row in conn.execute(stmt)]


# --- batch writing (one transaction, a few bulk statements) ---------------------------------------------


def _validate_batch(applied: Sequence[AppliedChange], failed: Sequence[FailedChange]) -> None:
    for change in applied:
        where = f"applied change {change.entity}/{change.key}"
        if change.operation not in OPERATIONS:
            raise StateStoreError(f"{where}: operation {change.operation!r} not in {OPERATIONS}")
        if change.operation != "delete" and not change.checksum:
            raise StateStoreError(f"{where}: field 'checksum' is required for a {change.operation}")
        _require_record(where, change.entity, change.key)
    for failure in failed:
        where = f"failed change {failure.entity}/{failure.key}"
        if failure.operation not in OPERATIONS:
            raise StateStoreError(f"{where}: operation {failure.operation!r} not in {OPERATIONS}")
        if not failure.error_code:
            raise StateStoreError(f"{where}: field 'error_code' is required")
        _require_record(where, failure.entity, failure.key)


def _write_applied(conn: Connection, run_id: int, applied: Sequence[AppliedChange], now: datetime) -> None:
    if not applied:
        return
    final = {(c.entity, c.key): c for c in applied}  # the last change of a record decides its state
    gone = [c for c in final.values() if c.operation == "delete"]
    kept = [c for c in final.values() if c.operation != "delete"]
    for entity, keys in _group_keys(gone).items():
        for chunk in _chunks(keys):
            conn.execute(
                delete(RecordStateRow).where(RecordStateRow.entity == entity, RecordStateRow.key.in_(chunk))
            )
            conn.execute(delete(IdMapRow).where(IdMapRow.entity == entity, IdMapRow.source_key.in_(chunk)))
    refreshed = [
        "checksum",
        "payload",
        "source_version",
        "target_version",
        "spec_version",
        "run_id",
        "synced_at",
    ]
    _upsert(conn, RecordStateRow, [_state_row(c, run_id, now) for c in kept], ["entity", "key"], refreshed)
    mapped = [
        dict(entity=c.entity, source_key=c.key, target_key=c.target_key, updated_at=now)
        for c in kept
        if c.target_key
    ]
    _upsert(conn, IdMapRow, mapped, ["entity", "source_key"], ["target_key", "updated_at"])
    audit = [
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
    conn.execute(AuditRow.__table__.insert(), audit)


def _state_row(change: AppliedChange, run_id: int, now: datetime) -> dict[str, Any]:
    return dict(
        entity=change.entity,
        key=change.key,
        checksum=change.checksum,
        payload=change.after,
        source_version=change.source_version,
        target_version=change.target_version,
        spec_version=change.spec_version,
        run_id=run_id,
        synced_at=now,
    )


def _write_dead_letters(
    conn: Connection, run_id: int, flow: str, failed: Sequence[FailedChange], now: datetime
) -> None:
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
        )
    _upsert(
        conn,
        DeadLetterRow,
        list(merged.values()),
        ["flow", "entity", "key"],
        ["operation", "payload", "error_code", "message", "retryable", "run_id", "last_seen"],
        index_where=LIVE_DEAD_LETTER_WHERE,
        # a repeat counts its attempts; a failed retry is open again
        extra_set=lambda excluded: {"attempts": DeadLetterRow.attempts + excluded.attempts, "status": "open"},
    )


def _resolve_dead_letters(conn: Connection, flow: str, records: set[tuple[str, str]], now: datetime) -> int:
    resolved = 0
    for entity, keys in _group_keys(records).items():
        for chunk in _chunks(keys):
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


# --- small helpers ----------------------------------------------------------------------------------------


def _upsert(
    conn: Connection,
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    conflict_columns: list[str],
    refreshed: list[str],
    index_where: Any = None,
    extra_set: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """INSERT ... ON CONFLICT DO UPDATE as multi-row VALUES statements, one per chunk of rows.

    Executemany would not do: the drivers send an upsert once per row. Rows must not repeat a conflict key.
    """
    for chunk in _chunks(rows, _ROWS_PER_STATEMENT):
        stmt = _insert(conn)(model).values(list(chunk))
        set_ = {name: stmt.excluded[name] for name in refreshed}
        if extra_set is not None:
            set_.update(extra_set(stmt.excluded))
        stmt = stmt.on_conflict_do_update(index_elements=conflict_columns, index_where=index_where, set_=set_)
        conn.execute(stmt)


def _insert(conn: Connection) -> Any:
    """The dialect's INSERT construct (both offer ON CONFLICT DO NOTHING / DO UPDATE)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _key_filtered(
    stmt: Select[Any], column: Any, keys: Iterable[str] | None, key_prefix: str | None
) -> list[Select[Any]]:
    """`stmt` limited to the given keys (one statement per chunk) and/or to keys under a literal prefix."""
    if key_prefix is not None:
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(column.like(escaped + "%", escape="\\"))
    if keys is None:
        return [stmt]
    return [stmt.where(column.in_(chunk)) for chunk in _chunks(sorted(set(keys)))]


def _group_keys(records: Iterable[Any]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for record in records:
        entity, key = record if isinstance(record, tuple) else (record.entity, record.key)
        grouped.setdefault(entity, []).append(key)
    return grouped


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _require(**fields: Any) -> None:
    for name, value in fields.items():
        if not value:
            raise StateStoreError(f"field {name!r} is required")


def _require_record(where: str, entity: str, key: str) -> None:
    if not entity:
        raise StateStoreError(f"{where}: field 'entity' is required")
    if not key:
        raise StateStoreError(f"{where}: field 'key' is required")


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
    )
