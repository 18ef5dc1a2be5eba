"""The EAM's source of the webhook receiver: `POST /webhooks/eam`, Maximo publish-channel events.

The sender (Maximo's publish channel to an HTTP endpoint; sandbox/eam/publish.py) signs each delivery:

    x-maximo-event-id: evt_...              (the same on every retry of one event)
    x-maximo-timestamp: <epoch seconds>
    x-maximo-signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>

Same rules and statuses as the PLM route (webhooks.py): 202 dropped once, 200 duplicate, 401 missing or bad
signature (any configured key may match, for rotation), 400 stale timestamp / malformed JSON / unknown
event shape / a site or work order number no EAM issues, 413 body over the limit, 415 not JSON. The event id
is the header's (the same on every retry), so a redelivery is a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from orchestration.webhook_source import Rejected, Source, check_fresh
from sync.item_numbers import item_number_problem

EAM_SOURCE = "eam"
STATUS_EVENT, TRANSACTION_EVENT = "workorder.status", "matusetrans"
EAM_EVENT_TYPES = (STATUS_EVENT, TRANSACTION_EVENT)
EVENT_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "x-maximo-event-id", "x-maximo-timestamp", "x-maximo-signature"
MAX_EVENT_ID = 255
WORK_ORDER_FIELD = {STATUS_EVENT: "wonum", TRANSACTION_EVENT: "refwo"}  # where each event names its work order


def maximo_signature(key: bytes, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` the sender must have put in x-maximo-signature."""
    return "sha256=" + hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_maximo_delivery(
    headers: Any, body: bytes, keys: Sequence[bytes], tolerance_s: int, now: float | None = None
) -> str:
    """Check the `x-maximo-*` headers against the raw body; return the event id or raise `Rejected`."""
    event_id, timestamp, signature = (headers.get(h, "") for h in (EVENT_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not (event_id and timestamp and signature):
        raise Rejected(401, f"missing {EVENT_ID_HEADER}, {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    if not any(hmac.compare_digest(maximo_signature(key, timestamp, body), signature) for key in keys):
        raise Rejected(401, f"signature does not match any configured EAM secret (event {ascii(event_id)[:80]})")
    if len(event_id) > MAX_EVENT_ID:
        raise Rejected(400, f"{EVENT_ID_HEADER} is {len(event_id)} characters long (at most {MAX_EVENT_ID})")
    check_fresh(TIMESTAMP_HEADER, timestamp, tolerance_s, f"event {event_id}", now)
    return event_id


def check_eam_event(event: Any) -> str:
    """The event's type when it is an EAM event the sensor understands; `Rejected(400)` naming the field otherwise."""
    if not isinstance(event, dict):
        raise Rejected(400, "event body must be a JSON object")
    event_type = event.get("eventtype")
    if event_type not in EAM_EVENT_TYPES:
        raise Rejected(400, f"unknown eventtype {event_type!r} (expected one of {list(EAM_EVENT_TYPES)})")
    data = event.get("data")
    if not isinstance(data, dict):
        raise Rejected(400, f"{event_type} {event.get('eventid')}: field 'data' must be an object")
    problem = event_problem(event)
    if problem:
        raise Rejected(400, f"{event_type} {ascii(event.get('eventid'))[:80]}: {problem}")
    return event_type


def event_problem(event: dict[str, Any]) -> str | None:
    """Why an EAM event names no site and work order that can be looked up (also the sensor's quarantine rule)."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    for name in ("siteid", WORK_ORDER_FIELD.get(str(event.get("eventtype")), "wonum")):
        problem = item_number_problem(data.get(name))
        if problem:  # ascii(): a lone surrogate or control character must not reach the log as itself
            return f"field 'data.{name}' {ascii(data.get(name))[:80]} {problem}"
    return None


def eam_source(keys: Sequence[bytes], tolerance_s: int) -> Source:
    """The receiver's EAM source, verifying with `keys` (from MFG_SYNC_EAM_WEBHOOK_SECRET)."""

    def verify(headers: Any, body: bytes) -> str:
        return verify_maximo_delivery(headers, body, keys, tolerance_s)

    return Source(EAM_SOURCE, verify, check_eam_event)
