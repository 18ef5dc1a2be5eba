"""The MES sandbox's SQLite store: articles, product orders, work instructions, recordings and triggers as
JSON documents keyed by kind and id, plus the log of every webhook delivery attempt."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sandbox.sqlite_store import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, trigger_id TEXT NOT NULL, delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL,
    attempted_at TEXT NOT NULL, status_code INTEGER, error TEXT, succeeded INTEGER NOT NULL);
"""
KINDS = ("article", "product_order", "work_instruction", "recording", "trigger")


class MESStore(SqliteStore):
    """Documents by (kind, id); every write in a short transaction under the store's lock."""

    def __init__(self, path: str | None) -> None:
        super().__init__(path, SCHEMA)

    def is_empty(self) -> bool:
        return self.query("SELECT COUNT(*) FROM documents")[0][0] == 0

    def clear(self, c: sqlite3.Connection) -> None:
        for table in ("deliveries", "documents", "meta"):
            c.execute(f"DELETE FROM {table}")

    @staticmethod
    def put(c: sqlite3.Connection, kind: str, doc_id: str, data: dict[str, Any]) -> dict[str, Any]:
        c.execute(
            "INSERT INTO documents(kind, id, data) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data",
            (kind, doc_id, json.dumps(data, sort_keys=True)),
        )
        return data

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        row = self.one("SELECT data FROM documents WHERE kind = ? AND id = ?", (kind, doc_id))
        return json.loads(row["data"]) if row else None

    def all(self, kind: str) -> list[dict[str, Any]]:
        rows = self.query("SELECT data FROM documents WHERE kind = ? ORDER BY id", (kind,))
        return [json.loads(r["data"]) for r in rows]

    def delete(self, kind: str, doc_id: str) -> bool:
        with self.tx() as c:
            return c.execute("DELETE FROM documents WHERE kind = ? AND id = ?", (kind, doc_id)).rowcount == 1

    def count(self, kind: str) -> int:
        return self.query("SELECT COUNT(*) FROM documents WHERE kind = ?", (kind,))[0][0]

    def next_id(self, c: sqlite3.Connection, kind: str, prefix: str, start: int = 1) -> str:
        return f"{prefix}{self.next_counter(c, f'seq:{kind}', start):06d}"
