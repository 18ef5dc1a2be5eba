"""Alembic migrations of the sync-state store, run programmatically (no alembic.ini needed).

`upgrade(engine)` is idempotent and safe when several processes start at once: it takes a lock first
(a PostgreSQL advisory transaction lock; on SQLite the store's `BEGIN IMMEDIATE` write lock), then reads
the current revision inside that same transaction, so the second process finds the work done.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent
# any fixed 64-bit number: names "mfg-sync state migrations" among advisory locks on the server
_PG_LOCK_KEY = 0x6D66_6753_7461_7465
# alembic's `context` is process-global: two threads must not run env.py at once
_process_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at this package; `connection` is handed to env.py."""
    config = Config()
    # configparser interpolates '%': escape it in case the path contains one
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "resources/state/migrations/versions holds no revision"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", schema: str | None = None) -> str | None:
    """Bring the database to `revision` (default: head) in one transaction; return the revision reached.

    `schema` (PostgreSQL; already validated as an identifier) is created first if missing, under the lock.
    """
    with _process_lock, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            if schema:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        command.upgrade(alembic_config(connection), revision)
        return current_revision(connection)
