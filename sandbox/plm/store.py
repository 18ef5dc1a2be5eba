"""The PLM sandbox's SQLite store: items, revisions, BOM lines, changes, sessions, webhook subscriptions.

One connection behind a lock (SQLite serialises writers anyway); every public method is one short
transaction. Revisions carry their own guid, as in Arena: an item is addressed by any of its revisions'
guids, and a BOM belongs to a revision. Revision status follows Arena: 0 working, 1 effective, 2 superseded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
from typing import Any

from sandbox.sqlite_store import SqliteStore

WORKING, EFFECTIVE, SUPERSEDED = 0, 1, 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, name TEXT NOT NULL, description TEXT NOT NULL,
    category TEXT NOT NULL, uom TEXT NOT NULL, make_buy TEXT NOT NULL, attributes TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revisions (
    guid TEXT PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id), number TEXT,
    status INTEGER NOT NULL, lifecycle_phase TEXT NOT NULL, change_guid TEXT,
    created_at TEXT NOT NULL, effective_at TEXT, superseded_at TEXT);
CREATE INDEX IF NOT EXISTS revisions_item ON revisions(item_id, status);
CREATE TABLE IF NOT EXISTS bom_lines (
    guid TEXT PRIMARY KEY, revision_guid TEXT NOT NULL REFERENCES revisions(guid), line_number INTEGER NOT NULL,
    component_id INTEGER NOT NULL REFERENCES items(id), quantity TEXT NOT NULL, ref_des TEXT NOT NULL,
    notes TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bom_lines_rev ON bom_lines(revision_guid, line_number);
CREATE INDEX IF NOT EXISTS bom_lines_component ON bom_lines(component_id);
CREATE TABLE IF NOT EXISTS changes (
    guid TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, title TEXT NOT NULL, description TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, effective_at TEXT);
CREATE TABLE IF NOT EXISTS change_items (
    guid TEXT PRIMARY KEY, change_guid TEXT NOT NULL REFERENCES changes(guid), item_id INTEGER NOT NULL,
    position INTEGER NOT NULL, old_revision_guid TEXT, new_revision_number TEXT, new_revision_guid TEXT,
    UNIQUE(change_guid, item_id));
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, email TEXT NOT NULL, last_used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    guid TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
    active INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, subscription_guid TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL, attempted_at TEXT NOT NULL, status_code INTEGER, error TEXT,
    succeeded INTEGER NOT NULL);
"""

DATA_TABLES = ("deliveries", "subscriptions", "change_items", "changes", "bom_lines", "revisions", "items", "meta")

_GUID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def seeded_guid(*parts: object) -> str:
    """A stable 20-character Arena-looking guid for seeded data (same seed => same guids)."""
    digest = int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:16], "big")
    chars = []
    for _ in range(20):
        digest, r = divmod(digest, 36)
        chars.append(_GUID_ALPHABET[r])
    return "".join(chars)


def new_guid() -> str:
    return "".join(secrets.choice(_GUID_ALPHABET) for _ in range(20))


def new_session_id() -> str:
    return "SBX-" + base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")


class PLMStore(SqliteStore):
    """Arena's items, revisions, BOM lines and changes, plus sessions and webhook subscriptions."""

    def __init__(self, path: str | None) -> None:
        super().__init__(path, SCHEMA)

    # --- meta --------------------------------------------------------------------------------------
    def is_empty(self) -> bool:
        return self.one("SELECT COUNT(*) AS n FROM items")["n"] == 0

    def clear_data(self) -> None:
        with self.tx() as c:
            for table in DATA_TABLES:
                c.execute(f"DELETE FROM {table}")

    # --- revisions ------------------------------------------------------------------------------------
    def revision(self, guid: str) -> sqlite3.Row | None:
        return self.one(
            "SELECT r.*, i.number AS item_number, i.name, i.description, i.category, i.uom, i.make_buy, i.attributes, "
            "i.created_at AS item_created_at FROM revisions r JOIN items i ON i.id = r.item_id WHERE r.guid = ?",
            (guid,),
        )

    def revision_of(self, item_id: int, status: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM revisions WHERE item_id = ? AND status = ?", (item_id, status))

    def current_revision(self, item_id: int) -> sqlite3.Row | None:
        """The effective revision, or the working one for an item never released."""
        return self.revision_of(item_id, EFFECTIVE) or self.revision_of(item_id, WORKING)

    def subscriptions_for(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.query("SELECT * FROM subscriptions WHERE active = 1 ORDER BY created_at, guid")
        return [dict(r) for r in rows if event_type in json.loads(r["events"]) or "*" in json.loads(r["events"])]
