"""The condition flow's records in the state store (record state, no table of its own), free of Dagster:

- `condition_request` "<site>/<asset>/<failure class>": the work request raised for it {wonum, created_at,
  priority, event_id, done}; debounces later events within the rules' window;
- `condition_event` "<event id>": the event's status {asset, site, status, work_order, reservation,
  requisition, reason, ...}; what `mfg-sync events status` prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from resources.state.store import StateStore
from sync.checksum import checksum
from sync.flows import CONDITION_FLOW
from sync.records import AppliedChange

REQUEST, EVENT = "condition_request", "condition_event"
DROP_SOURCE = "condition"  # webhook_drops.source of every condition event (MQTT or HTTP)
STATUS_COLUMNS = [
    "event_id",
    "asset",
    "measurement",
    "value",
    "unit",
    "status",
    "work_order",
    "reservation",
    "requisition",
    "reason",
]


def _changes(entity: str, items: dict[str, dict[str, Any]], before: dict[str, Any]) -> list[AppliedChange]:
    return [
        AppliedChange(entity, key, "update" if before.get(key) else "create", before.get(key), after, checksum(after))
        for key, after in items.items()
    ]


def requests(store: StateStore) -> dict[str, dict[str, Any]]:
    return {key: dict(r.payload or {}) for key, r in store.stored_records(REQUEST).items()}


def record_requests(store: StateStore, run_id: int, items: dict[str, dict[str, Any]]) -> None:
    if items:
        store.record_batch(run_id, CONDITION_FLOW, _changes(REQUEST, items, requests(store)), [])


def statuses(store: StateStore, event_ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    keys = list(event_ids) if event_ids is not None else None
    return {key: dict(r.payload or {}) for key, r in store.stored_records(EVENT, keys=keys).items()}


def record_statuses(store: StateStore, run_id: int, items: dict[str, dict[str, Any]]) -> None:
    """One transaction for the batch: every event's status after this step."""
    if items:
        before = statuses(store, items)
        merged = {key: {**before.get(key, {}), **after} for key, after in items.items()}
        store.record_batch(run_id, CONDITION_FLOW, _changes(EVENT, merged, before), [])


def status_rows(store: StateStore, asset: str | None = None) -> list[dict[str, Any]]:
    """Every event's status (those rejected at ingest too), oldest first; only `asset`'s when given."""
    rows = [{"event_id": key, **payload} for key, payload in statuses(store).items()]
    seen = {r["event_id"] for r in rows}
    for drop in store.rejected_drops(DROP_SOURCE):
        if drop.event_id not in seen:
            shown = drop.payload.get("asset") if isinstance(drop.payload, dict) else None
            timestamp = drop.received_at.isoformat()
            rows.append({"event_id": drop.event_id, "asset": shown or "?", "status": "rejected", "reason": drop.reason})
            rows[-1]["timestamp"] = timestamp
    rows = [r for r in rows if asset is None or (r.get("asset") or "").upper() == asset.upper()]
    return sorted(rows, key=lambda r: (r.get("timestamp") or "", r["event_id"]))
