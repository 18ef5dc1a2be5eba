"""The EAM sandbox's SQLite store: every Maximo record as a JSON document with one store-wide rowstamp.

One table holds all object types (`kind`): work orders and their children (planned materials,
reservations, material transactions; `parent_id` points at the work order), balances, assets, items.
Every insert or update takes the next value of one sequence, as Maximo's `rowstamp` does; a child's
write bumps only the child's rowstamp, never its parent's (Maximo's real limitation).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sandbox.sqlite_store import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, parent_id INTEGER, natural_key TEXT,
    rowstamp INTEGER NOT NULL, data TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS records_key ON records(kind, natural_key);
CREATE INDEX IF NOT EXISTS records_rowstamp ON records(kind, rowstamp);
CREATE INDEX IF NOT EXISTS records_parent ON records(parent_id, kind);
CREATE TABLE IF NOT EXISTS transactions (id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, subscription_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL, attempted_at TEXT NOT NULL, status_code INTEGER, error TEXT,
    succeeded INTEGER NOT NULL);
"""

DATA_TABLES = ("deliveries", "subscriptions", "transactions", "records", "meta")
ROWSTAMP_KEY = "rowstamp"


@dataclass
class Row:
    """One stored record: the store's id, its parent, its rowstamp and Maximo's field dict."""

    id: int
    kind: str
    parent_id: int | None
    rowstamp: int
    data: dict[str, Any]


def _row(r: sqlite3.Row) -> Row:
    return Row(r["id"], r["kind"], r["parent_id"], r["rowstamp"], json.loads(r["data"]))


class EAMStore(SqliteStore):
    """Maximo's records as JSON documents under one rowstamp sequence, plus publish subscriptions."""

    def __init__(self, path: str | None) -> None:
        super().__init__(path, SCHEMA)
        self._cache: dict[int, Row] = {}

    # --- meta ------------------------------------------------------------------------------------------
    def is_empty(self) -> bool:
        return self.query("SELECT COUNT(*) FROM records")[0][0] == 0

    def clear_data(self, c: sqlite3.Connection) -> None:
        self._cache.clear()  # a reseed reuses ids and restarts the rowstamp sequence
        for table in DATA_TABLES:
            c.execute(f"DELETE FROM {table}")

    def max_rowstamp(self) -> int:
        return int(self.meta(ROWSTAMP_KEY, "1")) - 1

    # --- records --------------------------------------------------------------------------------------
    def insert(
        self,
        c: sqlite3.Connection,
        kind: str,
        data: dict[str, Any],
        *,
        parent_id: int | None = None,
        natural_key: str | None = None,
        id_field: str | None = None,
    ) -> Row:
        """Store a new record; `id_field` (e.g. "workorderid") is filled with the store's id."""
        rowstamp = self.next_counter(c, ROWSTAMP_KEY, 1)
        cursor = c.execute(
            "INSERT INTO records(kind, parent_id, natural_key, rowstamp, data) VALUES (?, ?, ?, ?, ?)",
            (kind, parent_id, natural_key, rowstamp, "{}"),
        )
        record_id = int(cursor.lastrowid)
        if id_field:
            data = {id_field: record_id, **data}
        c.execute("UPDATE records SET data = ? WHERE id = ?", (json.dumps(data), record_id))
        return Row(record_id, kind, parent_id, rowstamp, data)

    def insert_many(self, c: sqlite3.Connection, rows: Iterable[tuple[int, str, int | None, str | None, dict]]) -> None:
        """Bulk seed: (id, kind, parent_id, natural_key, data) with ids chosen by the caller, rowstamps in order."""
        rows = list(rows)
        first = self.next_counter(c, ROWSTAMP_KEY, 1, step=len(rows))
        c.executemany(
            "INSERT INTO records(id, kind, parent_id, natural_key, rowstamp, data) VALUES (?, ?, ?, ?, ?, ?)",
            [(i, k, p, n, first + pos, json.dumps(d)) for pos, (i, k, p, n, d) in enumerate(rows)],
        )

    def update(self, c: sqlite3.Connection, row: Row, data: dict[str, Any]) -> Row:
        """Replace a record's fields; it takes the next rowstamp."""
        rowstamp = self.next_counter(c, ROWSTAMP_KEY, 1)
        c.execute("UPDATE records SET data = ?, rowstamp = ? WHERE id = ?", (json.dumps(data), rowstamp, row.id))
        return Row(row.id, row.kind, row.parent_id, rowstamp, data)

    @staticmethod
    def delete(c: sqlite3.Connection, row: Row) -> None:
        c.execute("DELETE FROM records WHERE id = ? OR parent_id = ?", (row.id, row.id))

    @staticmethod
    def by_key(c: sqlite3.Connection, kind: str, natural_key: str) -> Row | None:
        r = c.execute("SELECT * FROM records WHERE kind = ? AND natural_key = ?", (kind, natural_key)).fetchone()
        return _row(r) if r else None

    @staticmethod
    def by_id(c: sqlite3.Connection, record_id: int) -> Row | None:
        r = c.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        return _row(r) if r else None

    @staticmethod
    def children(c: sqlite3.Connection, parent_id: int, kind: str) -> list[Row]:
        return [
            _row(r)
            for r in c.execute("SELECT * FROM records WHERE parent_id = ? AND kind = ? ORDER BY id", (parent_id, kind))
        ]

    def find(self, kind: str, natural_key: str) -> Row | None:
        """A record by its key, outside any write transaction."""
        rows = self.query("SELECT * FROM records WHERE kind = ? AND natural_key = ?", (kind, natural_key))
        return _row(rows[0]) if rows else None

    def get(self, record_id: int) -> Row | None:
        rows = self.query("SELECT * FROM records WHERE id = ?", (record_id,))
        return _row(rows[0]) if rows else None

    def read(self, kind: str, *, after_rowstamp: int | None = None) -> list[Row]:
        """All records of a kind (changed after a rowstamp, for delta fetches), in id order.

        Decoded records are cached by (id, rowstamp): paging through 20,000 work orders decodes each once.
        Callers must not change a returned Row's data in place.
        """
        sql, args = "SELECT id, rowstamp FROM records WHERE kind = ?", [kind]
        if after_rowstamp is not None:
            sql, args = sql + " AND rowstamp > ?", [*args, after_rowstamp]
        with self._lock:
            stamps = [(r[0], r[1]) for r in self._conn.execute(sql + " ORDER BY id", args)]
            stale = [i for i, stamp in stamps if (hit := self._cache.get(i)) is None or hit.rowstamp != stamp]
            for start in range(0, len(stale), 500):
                chunk = stale[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for r in self._conn.execute(f"SELECT * FROM records WHERE id IN ({marks})", chunk):
                    self._cache[r["id"]] = _row(r)
            return [self._cache[i] for i, _ in stamps]

    def children_of(self, parent_ids: list[int]) -> dict[int, list[Row]]:
        """The children of many parents at once (one query per 500 parents)."""
        found: dict[int, list[Row]] = {}
        for i in range(0, len(parent_ids), 500):
            chunk = parent_ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.query(f"SELECT * FROM records WHERE parent_id IN ({marks}) ORDER BY id", chunk):
                found.setdefault(r["parent_id"], []).append(_row(r))
        return found

    def count(self, kind: str) -> int:
        return self.query("SELECT COUNT(*) FROM records WHERE kind = ?", (kind,))[0][0]
