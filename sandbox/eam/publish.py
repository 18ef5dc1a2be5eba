"""The publish channel (sandbox stand-in for Maximo's publish channels + HTTP endpoint): work-order status
changes and material transactions POSTed as JSON to subscribers, signed, retried in the background.

Headers: `x-maximo-event-id` (same across retries), `x-maximo-timestamp` (epoch seconds) and
`x-maximo-signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from sandbox.delivery import DeliveryWorker
from sandbox.eam.materials import now_iso
from sandbox.eam.store import EAMStore

CHANNELS = {"workorder.status": "MXWOSTATUS", "matusetrans": "MXMATUSETRANS"}
DEFAULT_PUBLISH_SECRET = "mfg-sync-sandbox-eam-publish-secret"
SIGNATURE_HEADER, TIMESTAMP_HEADER, EVENT_ID_HEADER = "x-maximo-signature", "x-maximo-timestamp", "x-maximo-event-id"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: recompute the signature over the timestamp and raw body."""
    expected = sign(secret, int(headers.get(TIMESTAMP_HEADER, "0")), body)
    return hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER, ""))


class Publisher(DeliveryWorker):
    """The publish channel: events to the subscriptions of their type, HMAC-SHA256 signed."""

    def __init__(self, store: EAMStore, delays: Callable[[], Sequence[float]]) -> None:
        super().__init__(delays)
        self.store = store

    def subscriptions_for(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM subscriptions ORDER BY created_at, id")
        return [dict(r) for r in rows if {event_type, "*"} & set(json.loads(r["events"]))]

    async def publish(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for event_type, data in events:
            subscriptions = await asyncio.to_thread(self.subscriptions_for, event_type)
            event_id = "evt_" + secrets.token_hex(12)
            body = json.dumps(
                {
                    "eventid": event_id,
                    "eventtype": event_type,
                    "channel": CHANNELS[event_type],
                    "timestamp": now_iso(),
                    "data": data,
                },
                separators=(",", ":"),
            ).encode()
            self.schedule(subscriptions, event_type, event_id, body)

    def signed_headers(self, sub: dict[str, Any], event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        return {
            EVENT_ID_HEADER: event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(sub["secret"], timestamp, body),
        }

    def record(
        self,
        sub: dict[str, Any],
        event_id: str,
        event_type: str,
        attempt: int,
        status: int | None,
        error: str | None,
        ok: bool,
    ) -> None:
        with self.store.tx() as c:
            c.execute(
                "INSERT INTO deliveries(subscription_id, event_id, event_type, attempt, attempted_at, "
                "status_code, error, succeeded) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sub["id"], event_id, event_type, attempt, now_iso(), status, error, int(ok)),
            )
