"""The PLM change feed as the incremental extract reads it: effective changes since a moment, with their
affected items, each change's items read once ever (a change's affected items are fixed once effective).

Within `shared_change_feed()` (one `mfg-sync sync bom` invocation) one feed read serves every extract of the
same PLM that asks for a later `since`: the runs then see the PLM as of that read, and say so (`as_of`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from resources.plm.records import change_order_from_arena
from sync.records import ChangeOrder

if TYPE_CHECKING:
    from resources.plm.cache_types import ExtractCache
    from resources.plm.client import PLMClient

ENV_OVERLAP = "MFG_SYNC_PLM_FEED_OVERLAP_S"
DEFAULT_OVERLAP_S = 600.0  # covers clock skew between us and the PLM and changes committed while we read
CHANGE_KIND = "change"

_shared: dict[str, FeedRead] | None = None


def overlap() -> timedelta:
    """How far before the last confirmation the feed is read again (MFG_SYNC_PLM_FEED_OVERLAP_S)."""
    raw = os.environ.get(ENV_OVERLAP, "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_OVERLAP_S
    except ValueError:
        raise ValueError(f"{ENV_OVERLAP}={raw!r} is not a number of seconds") from None
    return timedelta(seconds=max(seconds, 0.0))


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FeedRead:
    """Changes effective at or after `since`, as the PLM showed them at `as_of` (our clock, before the read)."""

    since: datetime
    as_of: datetime
    changes: list[ChangeOrder]
    shared: bool = False  # answered by an earlier read of the same invocation

    def after(self, since: datetime) -> FeedRead:
        kept = [c for c in self.changes if c.effective_at is None or c.effective_at >= since]
        return FeedRead(since, self.as_of, kept, shared=True)


@contextmanager
def shared_change_feed() -> Iterator[None]:
    """Let every extract in this block reuse one feed read per PLM (the CLI wraps a `sync bom` in it)."""
    global _shared
    previous, _shared = _shared, {}
    try:
        yield
    finally:
        _shared = previous


def read_feed(client: PLMClient, since: datetime, cache: ExtractCache) -> FeedRead:
    """Effective changes since `since`, oldest first; affected items from the cache where a run read them."""
    key = str(client.api.http.base_url)
    memo = _shared.get(key) if _shared is not None else None
    if memo is not None and memo.since <= since:
        return memo.after(since)
    as_of = utcnow()
    raw = [
        c for c in client.iter_changes(status="EFFECTIVE", effective_since=since) if client._effective_since(c, since)
    ]
    known = cache.get(CHANGE_KIND, [(str(c["number"]), "") for c in raw])
    missing = [c for c in raw if (str(c["number"]), "") not in known]
    fetched = {str(c["number"]): client.change_items(c["guid"]) for c in missing}
    cache.put(CHANGE_KIND, {(n, ""): rows for n, rows in fetched.items()}, as_of)
    rows_of: dict[str, Any] = {n: e.payload for (n, _), e in known.items()} | fetched
    orders = [change_order_from_arena(c, rows_of[str(c["number"])]) for c in raw]
    orders.sort(key=lambda o: (o.effective_at or datetime.min.replace(tzinfo=UTC), o.number))
    read = FeedRead(since, as_of, orders)
    if _shared is not None:
        _shared[key] = read
    return read
