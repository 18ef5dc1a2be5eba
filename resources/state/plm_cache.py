"""The PLM extract cache: what a BOM extract read from the PLM, by (kind, item number, revision).

It satisfies `resources.plm.extract_cache.ExtractCache` (structurally: the two rooms do not import each
other). Entries are JSON documents; `validated_at` moves forward each time a run confirms an entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_, update

from resources.state.engine import StateDatabase
from resources.state.schema import PlmCacheRow
from resources.state.sql import chunks, upsert

Key = tuple[str, str]  # (item number, revision)


class CachedEntry:
    __slots__ = ("payload", "read_at", "validated_at")

    def __init__(self, payload: Any, read_at: datetime, validated_at: datetime) -> None:
        self.payload, self.read_at, self.validated_at = payload, read_at, validated_at


class PlmExtractCache:
    """Bulk get, put and touch of cache entries; one statement per chunk of keys."""

    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def get(self, kind: str, keys: Iterable[Key]) -> dict[Key, CachedEntry]:
        wanted = sorted(set(keys))
        found: dict[Key, CachedEntry] = {}
        if not wanted:
            return found
        with self._db.read() as conn:
            for chunk in chunks(wanted):
                stmt = select(PlmCacheRow.__table__).where(
                    PlmCacheRow.kind == kind, tuple_(PlmCacheRow.number, PlmCacheRow.revision).in_(list(chunk))
                )
                for row in conn.execute(stmt):
                    found[(row.number, row.revision)] = CachedEntry(row.payload, row.read_at, row.validated_at)
        return found

    def put(self, kind: str, entries: Mapping[Key, Any], at: datetime) -> None:
        """Store (or replace) entries read at `at`; they count as validated then too."""
        rows = [
            {"kind": kind, "number": n, "revision": r, "payload": p, "read_at": at, "validated_at": at}
            for (n, r), p in sorted(entries.items())
        ]
        if rows:
            with self._db.write() as conn:
                upsert(conn, PlmCacheRow, rows, ["kind", "number", "revision"], ["payload", "read_at", "validated_at"])

    def touch(self, kind: str, keys: Iterable[Key], at: datetime) -> None:
        """Mark entries as confirmed by the change feed read at `at`."""
        wanted = sorted(set(keys))
        if not wanted:
            return
        with self._db.write() as conn:
            for chunk in chunks(wanted):
                conn.execute(
                    update(PlmCacheRow)
                    .where(PlmCacheRow.kind == kind, tuple_(PlmCacheRow.number, PlmCacheRow.revision).in_(list(chunk)))
                    .values(validated_at=at)
                )

    def clear(self) -> int:
        """Forget everything (the next extract reads the PLM in full); returns the entries removed."""
        with self._db.write() as conn:
            return conn.execute(delete(PlmCacheRow)).rowcount or 0
