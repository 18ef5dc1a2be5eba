"""SQLite persistence: JSON documents per entity set, plus counters. One connection, one re-entrant lock.

Every request runs inside `transaction()`; nested calls become savepoints, so a `$batch` change set is
rolled back as a whole when any of its operations fails.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    entity_set TEXT NOT NULL, key TEXT NOT NULL, parent TEXT NOT NULL DEFAULT '', doc TEXT NOT NULL,
    PRIMARY KEY (entity_set, key));
CREATE INDEX IF NOT EXISTS docs_parent ON docs (entity_set, parent);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class ERPStore:
    """Documents keyed by (entity set, key); `parent` links children (descriptions, plants, BOM items)."""

    def __init__(self, db_path: str | None) -> None:
        self.db_path = db_path or ":memory:"
        self._conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL" if db_path else "PRAGMA journal_mode=MEMORY")
        self._conn.executescript(_SCHEMA)
        self.lock = threading.RLock()
        self._depth = 0
        self._savepoints = itertools.count(1)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing block; nests as a savepoint inside an outer transaction."""
        with self.lock:
            name = f"sp{next(self._savepoints)}"
            self._conn.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO {name}")
                    self._conn.execute(f"RELEASE {name}")
                raise
            self._depth -= 1
            self._conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")

    def get(self, entity_set: str, key: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT doc FROM docs WHERE entity_set=? AND key=?", (entity_set, key)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, entity_set: str, key: str, doc: dict[str, Any], parent: str = "") -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO docs (entity_set, key, parent, doc) VALUES (?, ?, ?, ?)",
                (entity_set, key, parent, json.dumps(doc, separators=(",", ":"))),
            )

    def delete(self, entity_set: str, key: str) -> None:
        with self.lock:
            self._conn.execute("DELETE FROM docs WHERE entity_set=? AND key=?", (entity_set, key))

    def delete_children(self, entity_set: str, parent: str) -> None:
        with self.lock:
            self._conn.execute("DELETE FROM docs WHERE entity_set=? AND parent=?", (entity_set, parent))

    def children(self, entity_set: str, parent: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT doc FROM docs WHERE entity_set=? AND parent=? ORDER BY key", (entity_set, parent)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def all(self, entity_set: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute("SELECT doc FROM docs WHERE entity_set=? ORDER BY key", (entity_set,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def page(self, entity_set: str, offset: int, limit: int) -> list[dict[str, Any]]:
        """Documents of a set in key order, `limit` of them from `offset`."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT doc FROM docs WHERE entity_set=? ORDER BY key LIMIT ? OFFSET ?", (entity_set, limit, offset)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def count(self, entity_set: str) -> int:
        with self.lock:
            return self._conn.execute("SELECT COUNT(*) FROM docs WHERE entity_set=?", (entity_set,)).fetchone()[0]

    def next_number(self, name: str) -> int:
        """A persistent counter (BOM numbers, item node numbers)."""
        with self.lock:
            row = self._conn.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()
            value = (row[0] if row else 0) + 1
            self._conn.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (name, value))
        return value

    def is_empty(self) -> bool:
        with self.lock:
            return self._conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0] == 0

    def clear(self) -> None:
        with self.lock:
            self._conn.execute("DELETE FROM docs")
            self._conn.execute("DELETE FROM counters")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (on server shutdown); the connection stays usable."""
        with self.lock:
            if self.db_path != ":memory:":
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
