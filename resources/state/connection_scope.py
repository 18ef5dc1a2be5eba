"""The state store as one ERP connection sees it: its records, ID map, audit and dead letters apart.

The default connection (`sap`) keeps today's entity names, so its state is unchanged; another connection's
entities are namespaced (`tryton/material`, `tryton/bom_item`), so a record Tryton holds never shadows the
one SAP holds under the same key. Runs and dead letters are also kept apart by flow (`bom_sync_tryton`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from resources.state.store import StateStore
from sync.records import AppliedChange, FailedChange, StoredRecord


class ConnectionStateStore:
    """A `StateStore` whose record-level calls are namespaced by connection; everything else is delegated."""

    def __init__(self, store: StateStore, connection: str, namespaced: bool = True) -> None:
        self.store = store
        self.connection = connection
        self.prefix = f"{connection}/" if namespaced else ""

    def entity(self, entity: str) -> str:
        return f"{self.prefix}{entity}"

    def __getattr__(self, name: str) -> Any:  # runs, drops, conflicts, breaker: not per record
        return getattr(self.store, name)

    def stored_records(
        self, entity: str, keys: Iterable[str] | None = None, key_prefix: str | None = None
    ) -> dict[str, StoredRecord]:
        found = self.store.stored_records(self.entity(entity), keys, key_prefix)
        return {key: replace(record, entity=entity) for key, record in found.items()}

    def target_keys(self, entity: str, source_keys: Iterable[str]) -> dict[str, str]:
        return self.store.target_keys(self.entity(entity), source_keys)

    def source_key_for(self, entity: str, target_key: str) -> str | None:
        return self.store.source_key_for(self.entity(entity), target_key)

    def record_batch(
        self, run_id: int, flow: str, applied: Sequence[AppliedChange], failed: Sequence[FailedChange]
    ) -> None:
        self.store.record_batch(
            run_id,
            flow,
            [replace(change, entity=self.entity(change.entity)) for change in applied],
            [replace(change, entity=self.entity(change.entity)) for change in failed],
        )

    def add_conflicts(self, run_id: int | None, conflicts: Sequence[Any]) -> None:
        self.store.add_conflicts(run_id, [replace(c, entity=self.entity(c.entity)) for c in conflicts])

    def open_dead_letters(self, flow: str | None = None, entity: str | None = None) -> list:
        return self.store.open_dead_letters(flow, self.entity(entity) if entity else None)

    def resolve_dead_letters_for(self, flow: str, entity: str, keys: Iterable[str]) -> int:
        return self.store.resolve_dead_letters_for(flow, self.entity(entity), keys)

    def record_history(self, entity: str, key: str) -> list:
        return self.store.record_history(self.entity(entity), key)
