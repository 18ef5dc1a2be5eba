"""The sync-state store as a Dagster resource: one `StateStore` per process, shared by every asset."""

from __future__ import annotations

import os
import threading

import dagster as dg
from pydantic import PrivateAttr

from resources.state.connection_scope import ConnectionStateStore
from resources.state.store import StateStore


class SyncStateResource(dg.ConfigurableResource):
    """Where mfg-sync remembers what it wrote: ID map, checksums, audit, dead letters, webhook drops.

    `url` empty means `MFG_SYNC_STATE_URL`, else the SQLite file under `MFG_SYNC_DATA_DIR`; `db_schema` empty
    means `MFG_SYNC_STATE_SCHEMA` (PostgreSQL), as for `mfg-sync state ...`. Pass the URL as
    `dg.EnvVar("MFG_SYNC_STATE_URL")` when it carries a password, so it never shows in the UI.
    """

    url: str = ""
    db_schema: str = ""  # PostgreSQL only: keep mfg-sync's tables in their own schema

    _store: StateStore | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def store(self) -> StateStore:
        with self._lock:
            if self._store is None:
                schema = self.db_schema or os.environ.get("MFG_SYNC_STATE_SCHEMA") or None
                self._store = StateStore(self.url or None, schema=schema)
            return self._store

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._store is not None:
            self._store.dispose()

    def connection_store(self, connection: str, default: bool = True) -> ConnectionStateStore:
        """The store as ERP connection `connection` sees it (the default connection's entities unprefixed)."""
        return ConnectionStateStore(self.store(), connection, namespaced=not default)
