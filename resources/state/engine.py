"""Where the state store lives: its URL, its SQLAlchemy engine, and the migrated database behind both.

SQLite by default (`$MFG_SYNC_DATA_DIR/state.db`) or PostgreSQL by URL (`MFG_SYNC_STATE_URL`). JSON payloads
are stored as JSON: Decimal values come back as strings, datetimes as ISO-8601 strings.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from resources.settings import DATA_DIR_ENV, state_db_url
from resources.state import migrations
from resources.state.errors import StateStoreError

ENV_URL = "MFG_SYNC_STATE_URL"
ENV_SCHEMA = "MFG_SYNC_STATE_SCHEMA"
ENV_DATA_DIR = DATA_DIR_ENV
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
READ_ONLY_OPTION = "mfg_sync_read_only"  # execution option: a SQLite read starts a deferred transaction


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
    """SQLite file `state.db` under the data dir (resources/settings.py resolves `MFG_SYNC_DATA_DIR`)."""
    return state_db_url()


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


class StateDatabase:
    """The store's engine, migrated to head before the first read or write (once per process, thread-safe).

    `url` defaults to `MFG_SYNC_STATE_URL`, then to the SQLite file under `MFG_SYNC_DATA_DIR`.
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        schema: str | None = None,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        if schema is not None and not SCHEMA_NAME.match(schema):
            raise StateStoreError(f"schema name {schema!r} must match {SCHEMA_NAME.pattern}")
        self.schema = schema
        self.engine = build_engine(
            url or os.environ.get(ENV_URL) or default_url(), schema, **dict(engine_options or {})
        )
        self._ready = False
        self._ready_lock = threading.Lock()

    @property
    def safe_url(self) -> str:
        """The URL with any password masked: the only form fit for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()

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

    def write(self) -> AbstractContextManager[Connection]:
        """A connection in a write transaction, committed on success, rolled back on error."""
        self._ensure_ready()
        return self.engine.begin()

    def read(self) -> Connection:
        """A connection for reads only."""
        self._ensure_ready()
        return self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})
