"""Record state and the ID map: what was last written for each record, its target key, and the batch write
that stores one applied batch (state, ID map, audit, dead letters) in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from resources.state.audit import write_audit
from resources.state.dead_letters import resolve_dead_letters, write_dead_letters
from resources.state.engine import StateDatabase
from resources.state.errors import StateStoreError, require_record
from resources.state.schema import IdMapRow, RecordStateRow, utcnow
from resources.state.sql import chunks, group_keys, key_filtered, upsert
from sync.records import OPERATIONS, AppliedChange, FailedChange, StoredRecord

_REFRESHED = ["checksum", "payload", "source_version", "target_version", "spec_version", "run_id", "synced_at"]


class RecordStates:
    """Reads record state and the ID map; writes applied batches."""

    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def stored_records(
        self, entity: str, keys: Iterable[str] | None = None, key_prefix: str | None = None
    ) -> dict[str, StoredRecord]:
        """What was last written for `entity`, by key; all keys, the given `keys`, or those under `key_prefix`."""
        states = key_filtered(select(RecordStateRow.__table__), RecordStateRow.key, keys, key_prefix)
        # two filtered reads, matched here: a join planned on fresh, unanalysed tables can go quadratic
        id_maps = key_filtered(select(IdMapRow.source_key, IdMapRow.target_key), IdMapRow.source_key, keys, key_prefix)
        found: dict[str, StoredRecord] = {}
        with self._db.read() as conn:
            target_keys: dict[str, str] = {}
            for stmt in id_maps:
                target_keys.update(conn.execute(stmt.where(IdMapRow.entity == entity)).tuples().all())
            for stmt in states:
                for row in conn.execute(stmt.where(RecordStateRow.entity == entity)):
                    found[row.key] = StoredRecord(
                        entity=row.entity,
                        key=row.key,
                        checksum=row.checksum,
                        payload=row.payload,
                        target_key=target_keys.get(row.key),
                        source_version=row.source_version,
                        target_version=row.target_version,
                        spec_version=row.spec_version,
                    )
        return found

    def target_keys(self, entity: str, source_keys: Iterable[str]) -> dict[str, str]:
        """The ID map: source key -> target key, for those of `source_keys` that have one."""
        found: dict[str, str] = {}
        with self._db.read() as conn:
            for chunk in chunks(sorted(set(source_keys))):
                stmt = select(IdMapRow.source_key, IdMapRow.target_key).where(
                    IdMapRow.entity == entity, IdMapRow.source_key.in_(chunk)
                )
                found.update(dict(conn.execute(stmt).tuples().all()))
        return found

    def source_key_for(self, entity: str, target_key: str) -> str | None:
        """The ID map read backwards: which source record a target id belongs to."""
        stmt = select(IdMapRow.source_key).where(IdMapRow.entity == entity, IdMapRow.target_key == target_key)
        with self._db.read() as conn:
            return conn.execute(stmt).scalar_one_or_none()

    def record_batch(
        self, run_id: int, flow: str, applied: Sequence[AppliedChange], failed: Sequence[FailedChange]
    ) -> None:
        """Store one applied batch in ONE transaction: all of it lands, or none of it.

        Applied creates/updates upsert the record state and ID map; deletes remove both; every applied
        change gets an audit row; a success resolves the record's live dead letters in `flow`. Each
        failure becomes a dead letter, or bumps `attempts` of the live one for the same flow+entity+key.
        A few bulk statements per batch, not one per record.
        """
        _validate_batch(applied, failed)
        now = utcnow()
        with self._db.write() as conn:
            _write_applied(conn, run_id, applied, now)
            resolve_dead_letters(conn, flow, {(c.entity, c.key) for c in applied}, now)
            write_dead_letters(conn, run_id, flow, failed, now)


def _validate_batch(applied: Sequence[AppliedChange], failed: Sequence[FailedChange]) -> None:
    for change in applied:
        where = f"applied change {change.entity}/{change.key}"
        if change.operation not in OPERATIONS:
            raise StateStoreError(f"{where}: operation {change.operation!r} not in {OPERATIONS}")
        if change.operation != "delete" and not change.checksum:
            raise StateStoreError(f"{where}: field 'checksum' is required for a {change.operation}")
        require_record(where, change.entity, change.key)
    for failure in failed:
        where = f"failed change {failure.entity}/{failure.key}"
        if failure.operation not in OPERATIONS:
            raise StateStoreError(f"{where}: operation {failure.operation!r} not in {OPERATIONS}")
        if not failure.error_code:
            raise StateStoreError(f"{where}: field 'error_code' is required")
        require_record(where, failure.entity, failure.key)


def _write_applied(conn: Connection, run_id: int, applied: Sequence[AppliedChange], now: datetime) -> None:
    if not applied:
        return
    final = {(c.entity, c.key): c for c in applied}  # the last change of a record decides its state
    gone = [c for c in final.values() if c.operation == "delete"]
    kept = [c for c in final.values() if c.operation != "delete"]
    for entity, keys in group_keys(gone).items():
        for chunk in chunks(keys):
            conn.execute(delete(RecordStateRow).where(RecordStateRow.entity == entity, RecordStateRow.key.in_(chunk)))
            conn.execute(delete(IdMapRow).where(IdMapRow.entity == entity, IdMapRow.source_key.in_(chunk)))
    upsert(conn, RecordStateRow, [_state_row(c, run_id, now) for c in kept], ["entity", "key"], _REFRESHED)
    mapped = [
        dict(entity=c.entity, source_key=c.key, target_key=c.target_key, updated_at=now) for c in kept if c.target_key
    ]
    upsert(conn, IdMapRow, mapped, ["entity", "source_key"], ["target_key", "updated_at"])
    write_audit(conn, run_id, applied, now)


def _state_row(change: AppliedChange, run_id: int, now: datetime) -> dict[str, Any]:
    return dict(
        entity=change.entity,
        key=change.key,
        checksum=change.checksum,
        payload=change.after,
        source_version=change.source_version,
        target_version=change.target_version,
        spec_version=change.spec_version,
        run_id=run_id,
        synced_at=now,
    )
