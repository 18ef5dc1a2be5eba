"""What the incremental PLM extract needs of a cache (the state store's `plm_cache` provides it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

Key = tuple[str, str]  # (item number, revision)


class CacheEntry(Protocol):
    payload: Any
    validated_at: datetime


class ExtractCache(Protocol):
    """Where extracts keep what they read (the state store's `plm_cache`); kinds: item, bom, change_number,
    top (an assembly's last revision), tops (the released top-level assemblies), change (affected items)."""

    def get(self, kind: str, keys: Iterable[Key]) -> Mapping[Key, CacheEntry]: ...

    def put(self, kind: str, entries: Mapping[Key, Any], at: datetime) -> None: ...

    def touch(self, kind: str, keys: Iterable[Key], at: datetime) -> None: ...
