"""The incremental released-BOM extract: reuse what earlier extracts read, re-read only what changed.

An effective revision's details and BOM lines never change, so they are cached by (item number, effective
revision). What does change is which revision a BOM line's component is at (lines point at the component's
current revision): a cached BOM is used only if the change feed was read since it was last confirmed
(`validated_at`, less the overlap window), and its lines are re-pointed at the revisions the feed names.
Working revisions are never cached. `full=True` reads everything again and refreshes the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from resources.plm.cache_types import ExtractCache, Key
from resources.plm.change_feed import overlap, read_feed, utcnow
from resources.plm.records import PLMDataError
from resources.plm.walk import ReleasedBom, assemble, fetch_tree, with_change_numbers

if TYPE_CHECKING:
    from resources.plm.client import PLMClient

EFFECTIVE = "EFFECTIVE"
Item = dict[str, Any]


@dataclass
class ExtractStats:
    """What one extract read from the PLM and what it took from the cache (asset metadata)."""

    mode: str = "full"  # full (forced), first (nothing cached) or incremental
    items_read: int = 0
    items_cached: int = 0
    boms_read: int = 0
    boms_cached: int = 0
    changes_in_feed: int = 0
    as_of: str = ""

    def metadata(self) -> dict[str, Any]:
        return {f"extract_{k}": v for k, v in self.__dict__.items()}


@dataclass
class _Walk:
    """One extract's in-memory view: cached entries, the feed's current revisions, what was read."""

    client: PLMClient
    cache: ExtractCache
    trusted_since: datetime | None  # cached BOMs confirmed at or after this may be used (None: use none)
    full: bool = False  # read everything: use no cache entry at all
    current: dict[str, Any] = field(default_factory=dict)  # item number -> AffectedItem (newest revision)
    released_by: dict[Key, str] = field(default_factory=dict)  # (number, revision) -> the change that released it
    items: dict[Key, Item] = field(default_factory=dict)
    boms: dict[Key, tuple[list[Item], datetime]] = field(default_factory=dict)
    by_guid: dict[str, Key] = field(default_factory=dict)
    details: dict[str, Item] = field(default_factory=dict)  # guid -> the item detail the walk holds
    new_items: dict[Key, Item] = field(default_factory=dict)
    new_boms: dict[Key, list[Item]] = field(default_factory=dict)
    confirmed: set[Key] = field(default_factory=set)
    stats: ExtractStats = field(default_factory=ExtractStats)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def repointed(self, lines: list[Item]) -> tuple[list[Item], bool]:
        """Lines pointing at the revisions the feed names; and whether any line moved."""
        out, moved = [], False
        for line in lines:
            ref = line.get("item") or {}
            newer = self.current.get(str(ref.get("number")))
            if newer is not None and newer.new_revision and newer.new_revision != ref.get("revisionNumber"):
                ref = {**ref, "guid": newer.guid, "revisionNumber": newer.new_revision, "revisionStatus": EFFECTIVE}
                line, moved = {**line, "item": ref}, True
            out.append(line)
        return out, moved

    def remember_refs(self, lines: list[Item]) -> None:
        for ref in _refs(lines):
            if ref.get("guid") and ref.get("number"):
                self.by_guid[str(ref["guid"])] = (str(ref["number"]), str(ref.get("revisionNumber") or ""))

    def get_item(self, guid: str) -> Item:
        key = self.by_guid.get(guid)
        if key is not None and key[1] and key in self.items:
            with self.lock:
                self.stats.items_cached += 1
                self.details[guid] = self.items[key]
            return self.items[key]
        item = self.client.get_item(guid)
        with self.lock:
            self.stats.items_read += 1
            self.details[guid] = item
            if item.get("revisionStatus") == EFFECTIVE:  # a working revision is never cached
                self.new_items[(str(item["number"]), str(item.get("revisionNumber") or ""))] = item
        return item

    def get_bom(self, guid: str) -> list[Item]:
        item = self.details[guid]
        key = (str(item["number"]), str(item.get("revisionNumber") or ""))
        cached = self.boms.get(key) if item.get("revisionStatus") == EFFECTIVE else None
        if cached is not None and self.trusted_since is not None and cached[1] >= self.trusted_since:
            lines, moved = self.repointed(cached[0])
            with self.lock:
                self.stats.boms_cached += 1
                if moved:
                    self.new_boms[key] = lines
                else:
                    self.confirmed.add(key)
        else:
            lines = self.client.bom(str(item["guid"]))
            with self.lock:
                self.stats.boms_read += 1
                if item.get("revisionStatus") == EFFECTIVE:
                    self.new_boms[key] = lines
            if not self.full:  # details of effective revisions are cached for good: take those known
                refs = {(str(r.get("number")), str(r.get("revisionNumber") or "")) for r in _refs(lines)}
                known = self.cache.get("item", [k for k in refs if k[1] and k not in self.items])
                with self.lock:
                    self.items.update({k: e.payload for k, e in known.items()})
        with self.lock:
            self.remember_refs(lines)
        return lines


def _refs(lines: list[Item]) -> list[Item]:
    return [line.get("item") or {} for line in lines]


def _prefetch(walk: _Walk, top: Key) -> datetime | None:
    """Load every cached entry reachable from `top` (level by level); the oldest BOM confirmation seen."""
    oldest: datetime | None = None
    frontier, seen = [top], set()
    while frontier:
        seen.update(frontier)
        walk.items.update({k: e.payload for k, e in walk.cache.get("item", frontier).items()})
        boms = walk.cache.get("bom", frontier)
        nxt: set[Key] = set()
        for key, entry in boms.items():
            walk.boms[key] = (entry.payload, entry.validated_at)
            oldest = entry.validated_at if oldest is None else min(oldest, entry.validated_at)
            for line in entry.payload:
                ref = line.get("item") or {}
                nxt.add((str(ref.get("number")), str(ref.get("revisionNumber") or "")))
        children = [k for k in nxt - seen if k[1]]
        walk.items.update({k: e.payload for k, e in walk.cache.get("item", children).items()})
        frontier = [k for k in children if walk.client._is_assembly(walk.items.get(k, {}))]
    return oldest


def released_bom(
    client: PLMClient, number: str, cache: ExtractCache, full: bool = False
) -> tuple[ReleasedBom, ExtractStats]:
    """`client.released_bom(number)`, reading from the PLM only what `cache` cannot answer (see module doc)."""
    started = utcnow()
    pointer = None if full else cache.get("top", [(number, "")]).get((number, ""))
    walk = _Walk(client, cache, None, full=full)
    walk.stats.mode = "full" if full else ("first" if pointer is None else "incremental")
    as_of = started
    if pointer is not None:
        top_key = (number, str(pointer.payload["revision"]))
        oldest = _prefetch(walk, top_key)
        confirmed = min(pointer.validated_at, oldest or pointer.validated_at)
        feed = read_feed(client, confirmed - overlap(), cache)
        walk.trusted_since, as_of = confirmed, feed.as_of
        walk.stats.changes_in_feed = len(feed.changes)
        for change in feed.changes:  # oldest first: the newest revision of an item wins
            walk.current.update({i.number: i for i in change.affected_items})
            walk.released_by.update({(i.number, i.new_revision): change.number for i in change.affected_items})
        newer = walk.current.get(number)
        if newer is not None and newer.new_revision and newer.new_revision != top_key[1]:
            walk.by_guid[newer.guid] = (number, newer.new_revision)
            top = walk.get_item(newer.guid)
        elif top_key in walk.items:
            top = walk.items[top_key]
            walk.stats.items_cached += 1
        else:
            top = walk.get_item(str(pointer.payload["guid"]))
    else:
        top = client.item_by_number(number)
        walk.stats.items_read += 1
        if top.get("revisionStatus") == EFFECTIVE:
            walk.new_items[(number, str(top.get("revisionNumber") or ""))] = top
    if top.get("revisionStatus") != EFFECTIVE:
        raise PLMDataError(f"item {number} has no effective (released) revision", code="NOT_RELEASED")
    walk.details[str(top["guid"])] = top

    def has_bom(item: Mapping[str, Any]) -> bool:
        return item.get("number") == number or client._is_assembly(item)

    tree = fetch_tree(top, walk.get_item, walk.get_bom, has_bom, client.max_concurrency)
    changes = _change_numbers(walk, tree.items, tree.boms)
    result = with_change_numbers(assemble(tree), changes)
    top_key = (number, str(top.get("revisionNumber") or ""))
    cache.put("item", walk.new_items, started)
    cache.put("bom", walk.new_boms, as_of)
    cache.touch("bom", walk.confirmed, as_of)
    cache.put("top", {(number, ""): {"revision": top_key[1], "guid": str(top["guid"])}}, as_of)
    walk.stats.as_of = as_of.isoformat(timespec="seconds")
    return result, walk.stats


def _change_numbers(walk: _Walk, items: Mapping[str, Item], assemblies: Iterable[str]) -> dict[str, str]:
    """Each assembly's effective change number: from the cache by (number, revision), else one revisions read."""
    keys = {n: (n, str(items[n].get("revisionNumber") or "")) for n in assemblies}
    cached = walk.cache.get("change_number", keys.values())
    found = {n: str(cached[k].payload) for n, k in keys.items() if k in cached}
    found.update({n: walk.released_by[k] for n, k in keys.items() if n not in found and k in walk.released_by})
    missing = sorted(n for n in keys if walk.full or n not in found)
    if missing:
        found.update(walk.client._effective_change_numbers(items, missing))
    fresh = {keys[n]: found[n] for n in keys if walk.full or keys[n] not in cached}
    walk.cache.put("change_number", fresh, utcnow())
    return found


def released_top_assemblies(client: PLMClient, cache: ExtractCache, full: bool = False) -> list[str]:
    """`client.released_top_assemblies()`, computed again only when the change feed shows a change the last
    computation did not see (a new release can add or remove a top-level assembly; nothing else can)."""
    entry = None if full else cache.get("tops", [("", "")]).get(("", ""))
    since = (entry.validated_at if entry is not None else utcnow()) - overlap()
    feed = read_feed(client, since, cache)
    seen = [c.number for c in feed.changes]
    if entry is not None and set(seen) <= set(entry.payload["seen"]):
        tops = list(entry.payload["tops"])
    else:
        tops = client.released_top_assemblies()
    cache.put("tops", {("", ""): {"tops": tops, "seen": seen}}, feed.as_of)
    return tops
