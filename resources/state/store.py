"""The sync-state store: runs, ID map, record checksums, audit trail, dead letters, webhook drops, conflicts.

`StateStore` is the one object callers hold; each aggregate lives in its own module of `resources/state/`
(`runs`, `records`, `audit`, `dead_letters`, `drops`, `conflicts`) over one `StateDatabase` (`engine`).
SQLAlchemy 2 over SQLite by default (`$MFG_SYNC_DATA_DIR/state.db`) or PostgreSQL by URL
(`MFG_SYNC_STATE_URL`). The schema is migrated with Alembic on first use (or `mfg-sync state upgrade`).
Free of Dagster: the orchestration room wraps a `StateStore` in a resource.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import URL, Engine

from resources.state.audit import AuditEntry, AuditTrail
from resources.state.conflicts import Conflict, Conflicts, FieldConflict
from resources.state.dead_letters import DeadLetter, DeadLetters
from resources.state.drops import WebhookDrop, WebhookDrops
from resources.state.engine import (
    ENV_DATA_DIR,
    ENV_SCHEMA,
    ENV_URL,
    READ_ONLY_OPTION,
    StateDatabase,
    build_engine,
    default_url,
    normalise_url,
)
from resources.state.errors import StateStoreError
from resources.state.incidents import Incident, group_incidents
from resources.state.leases import Leases
from resources.state.plm_cache import PlmExtractCache
from resources.state.records import RecordStates
from resources.state.run_totals import run_totals
from resources.state.runs import COUNT_FIELDS, SyncRun, SyncRuns
from resources.state.switches import ConnectionSwitches
from sync.records import AppliedChange, FailedChange, StoredRecord

__all__ = [
    "COUNT_FIELDS",
    "ENV_DATA_DIR",
    "ENV_SCHEMA",
    "ENV_URL",
    "READ_ONLY_OPTION",
    "AuditEntry",
    "Conflict",
    "DeadLetter",
    "FieldConflict",
    "StateStore",
    "StateStoreError",
    "SyncRun",
    "WebhookDrop",
    "build_engine",
    "default_url",
    "normalise_url",
]


class StateStore:
    """Typed access to the sync-state tables. Thread-safe; migrates the schema on first use.

    `url` defaults to `MFG_SYNC_STATE_URL`, then to the SQLite file under `MFG_SYNC_DATA_DIR`.
    `schema` (PostgreSQL only) puts every table in that schema, created if missing.
    `engine_options` go to `sqlalchemy.create_engine` (e.g. `pool_size`).
    The methods below delegate to the aggregates, which say what each promises.
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        schema: str | None = None,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.db = StateDatabase(url, schema=schema, engine_options=engine_options)
        self.runs = SyncRuns(self.db)
        self.records = RecordStates(self.db)
        self.audit = AuditTrail(self.db)
        self.dead_letters = DeadLetters(self.db)
        self.drops = WebhookDrops(self.db)
        self.switches = ConnectionSwitches(self.db)
        self.conflicts = Conflicts(self.db)
        self.leases = Leases(self.db)
        self.plm_cache = PlmExtractCache(self.db)  # what PLM extracts read, by (item, effective revision)

    @classmethod
    def from_env(cls, **kwargs: Any) -> StateStore:
        """A store for `MFG_SYNC_STATE_URL` (and `MFG_SYNC_STATE_SCHEMA`), or the default SQLite file."""
        return cls(os.environ.get(ENV_URL) or None, schema=os.environ.get(ENV_SCHEMA) or None, **kwargs)

    @property
    def engine(self) -> Engine:
        return self.db.engine

    @property
    def schema(self) -> str | None:
        return self.db.schema

    @property
    def safe_url(self) -> str:
        """The URL with any password masked: the only form fit for logs and messages."""
        return self.db.safe_url

    def __repr__(self) -> str:
        return f"StateStore({self.safe_url!r})"

    def dispose(self) -> None:
        self.db.dispose()

    # --- schema ---------------------------------------------------------------------------------------

    def upgrade(self, revision: str = "head") -> str | None:
        return self.db.upgrade(revision)

    def current_revision(self) -> str | None:
        return self.db.current_revision()

    def table_names(self) -> list[str]:
        return self.db.table_names()

    # --- runs -----------------------------------------------------------------------------------------

    def start_run(
        self, flow: str, partition: str | None, correlation_id: str, dagster_run_id: str | None = None
    ) -> int:
        return self.runs.start(flow, partition, correlation_id, dagster_run_id)

    def finish_run(
        self, run_id: int, status: str, counts: Mapping[str, int] | None = None, reason: str | None = None
    ) -> None:
        self.runs.finish(run_id, status, counts, reason)

    def fail_started_runs(self, dagster_run_id: str, reason: str) -> list[int]:
        return self.runs.fail_started(dagster_run_id, reason)

    def runs_of_dagster_run(self, dagster_run_id: str) -> list[SyncRun]:
        return self.runs.of_dagster_run(dagster_run_id)

    def totals_of_dagster_run(self, dagster_run_id: str) -> dict[str, int]:
        """What the sync runs of one Dagster run wrote (audit) and dead-lettered, whatever they recorded as counts."""
        return run_totals(self.db, [run.id for run in self.runs.of_dagster_run(dagster_run_id)])

    def get_run(self, run_id: int) -> SyncRun | None:
        return self.runs.get(run_id)

    def recent_runs(self, flow: str | None = None, partition: str | None = None, limit: int = 20) -> list[SyncRun]:
        return self.runs.recent(flow, partition, limit)

    def last_successful_run(self, flow: str, partition: str | None = None) -> SyncRun | None:
        return self.runs.last_successful(flow, partition)

    def consecutive_failures(self, flow: str) -> int:
        return self.runs.consecutive_failures(flow)

    # --- records --------------------------------------------------------------------------------------

    def stored_records(
        self, entity: str, keys: Iterable[str] | None = None, key_prefix: str | None = None
    ) -> dict[str, StoredRecord]:
        return self.records.stored_records(entity, keys, key_prefix)

    def target_keys(self, entity: str, source_keys: Iterable[str]) -> dict[str, str]:
        return self.records.target_keys(entity, source_keys)

    def source_key_for(self, entity: str, target_key: str) -> str | None:
        return self.records.source_key_for(entity, target_key)

    def record_batch(
        self, run_id: int, flow: str, applied: Sequence[AppliedChange], failed: Sequence[FailedChange]
    ) -> None:
        self.records.record_batch(run_id, flow, applied, failed)

    # --- dead letters ---------------------------------------------------------------------------------

    def open_dead_letters(self, flow: str | None = None, entity: str | None = None) -> list[DeadLetter]:
        return self.dead_letters.live(flow, entity)

    def open_incidents(self, flow: str | None = None) -> list[Incident]:
        """Live dead letters grouped by the failure that took their records down together."""
        return group_incidents(self.dead_letters.live(flow))

    def dead_letters_by_id(self, ids: Iterable[int]) -> list[DeadLetter]:
        return self.dead_letters.by_ids(ids)

    def mark_dead_letter(self, dead_letter_id: int, status: str) -> None:
        self.dead_letters.mark(dead_letter_id, status)

    def resolve_dead_letters_for(self, flow: str, entity: str, keys: Iterable[str]) -> int:
        return self.dead_letters.resolve_for(flow, entity, keys)

    # --- webhook drops --------------------------------------------------------------------------------

    def add_webhook_drop(self, source: str, event_id: str, event_type: str, payload: Any) -> bool:
        return self.drops.add(source, event_id, event_type, payload)

    def webhook_drops_after(
        self, cursor_id: int, source: str | None = None, limit: int = 500, unprocessed_only: bool = False
    ) -> list[WebhookDrop]:
        return self.drops.after(cursor_id, source, limit, unprocessed_only)

    def mark_drops_processed(self, ids: Iterable[int]) -> int:
        return self.drops.mark_processed(ids)

    def reject_drop(self, drop_id: int, reason: str) -> bool:
        return self.drops.reject(drop_id, reason)

    def rejected_drops(self, source: str | None = None) -> list[WebhookDrop]:
        return self.drops.rejected(source)

    # --- conflicts ------------------------------------------------------------------------------------

    def add_conflicts(self, run_id: int | None, conflicts: Sequence[FieldConflict]) -> None:
        self.conflicts.add(run_id, conflicts)

    def open_conflicts(self, entity: str | None = None) -> list[Conflict]:
        return self.conflicts.awaiting(entity)

    def resolve_conflict(self, conflict_id: int, resolution: str, resolved_by: str) -> None:
        self.conflicts.resolve(conflict_id, resolution, resolved_by)

    # --- audit ----------------------------------------------------------------------------------------

    # --- leases -------------------------------------------------------------------------------------------

    def hold_leases(self, names: Iterable[str], holder: str, **options: Any) -> AbstractContextManager[None]:
        """Hold every named lease for a block (waiting while another run holds one); see `Leases.hold`."""
        return self.leases.hold(names, holder, **options)

    def release_leases_of(self, holder: str) -> int:
        """Free what a dead holder (a killed run) still holds, instead of waiting for it to expire."""
        return self.leases.release(holder)

    def record_history(self, entity: str, key: str) -> list[AuditEntry]:
        return self.audit.record_history(entity, key)

    # --- ERP connections ------------------------------------------------------------------------------

    def set_connection_enabled(self, connection: str, enabled: bool) -> None:
        self.switches.set(connection, enabled)

    def connection_switches(self) -> dict[str, bool]:
        """Connections enabled or disabled from the command line (the others keep the file's default)."""
        return self.switches.all()
