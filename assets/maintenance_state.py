"""What the maintenance sync keeps in the state store, through its record state (no table of its own):

- `extract_cursor` "<site>/<structure>": the committed rowstamp cursor of an extract, and "<...>:pending", the
  one the last extract read up to, committed by the apply step once everything read was applied;
- `reservation` "<site>/<wonum>": the link work order <-> ERP reservation (target key = reservation number);
- `goods_issue` "<matusetransid>": the posting of one EAM transaction, recorded "posting" before the post
  and "posted" (target key = material document) after it.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from resources.state import StateStore, SyncStateResource
from sync.checksum import checksum
from sync.flows import MAINTENANCE_FLOW
from sync.records import AppliedChange, FailedChange
from sync.severity import OPERATIONAL

CURSOR, LINK, POSTING = "extract_cursor", "reservation", "goods_issue"
PENDING = ":pending"


def sync_run(context: dg.AssetExecutionContext, sync_state: SyncStateResource) -> int:
    """The state store's run for this Dagster run (one per run, shared by the apply assets)."""
    store = sync_state.store()
    for run in store.recent_runs(MAINTENANCE_FLOW, context.partition_key, limit=5):
        if run.dagster_run_id == context.run.run_id:
            return run.id
    return store.start_run(MAINTENANCE_FLOW, context.partition_key, context.run.run_id, context.run.run_id)


def _write(
    store: StateStore,
    run_id: int,
    entity: str,
    key: str,
    after: dict[str, Any],
    before: Any = None,
    target_key: str | None = None,
    flow: str = MAINTENANCE_FLOW,
) -> None:
    change = AppliedChange(
        entity, key, "update" if before else "create", before, after, checksum(after), target_key=target_key
    )
    store.record_batch(run_id, flow, [change], [])


def cursor(store: StateStore, site: str, structure: str, pending: bool = False) -> int:
    key = f"{site}/{structure}{PENDING if pending else ''}"
    stored = store.stored_records(CURSOR, keys=[key]).get(key)
    return int(stored.payload["rowstamp"]) if stored and stored.payload else 0


def set_cursor(
    store: StateStore,
    run_id: int,
    site: str,
    structure: str,
    rowstamp: int,
    pending: bool = False,
    flow: str = MAINTENANCE_FLOW,
) -> None:
    key = f"{site}/{structure}{PENDING if pending else ''}"
    _write(store, run_id, CURSOR, key, {"rowstamp": rowstamp}, flow=flow)


def commit_cursor(store: StateStore, run_id: int, site: str, structure: str, flow: str = MAINTENANCE_FLOW) -> int:
    """The pending cursor becomes the committed one (never moving it backwards)."""
    committed, pending = cursor(store, site, structure), cursor(store, site, structure, pending=True)
    if pending > committed:
        set_cursor(store, run_id, site, structure, pending, flow=flow)
    return max(committed, pending)


def links(store: StateStore, site: str) -> dict[str, dict[str, Any]]:
    return {key: dict(r.payload or {}) for key, r in store.stored_records(LINK, key_prefix=f"{site}/").items()}


def record_link(store: StateStore, run_id: int, key: str, link: dict[str, Any], before: dict | None) -> None:
    _write(store, run_id, LINK, key, link, before, target_key=link["reservation"])


def postings(store: StateStore, keys: list[str]) -> dict[str, dict[str, Any]]:
    return {key: dict(r.payload or {}) for key, r in store.stored_records(POSTING, keys=keys).items()}


def record_posting(store: StateStore, run_id: int, key: str, state: str, **facts: Any) -> None:
    target = f"{facts['document_year']}/{facts['document']}" if state == "posted" else None
    _write(store, run_id, POSTING, key, {"state": state, **facts}, target_key=target)


def record_failure(
    store: StateStore,
    run_id: int,
    entity: str,
    key: str,
    code: str | None,
    message: str,
    retryable: bool,
    severity: str = OPERATIONAL,
    payload: dict[str, Any] | None = None,
) -> None:
    failure = FailedChange(
        entity=entity,
        key=key,
        operation="update",
        payload=payload,
        error_code=code or "error",
        message=message,
        retryable=retryable,
        severity=severity,
    )
    store.record_batch(run_id, MAINTENANCE_FLOW, [], [failure])
