"""Outbound webhooks (sandbox extension): Standard Webhooks signatures, retries with backoff, delivery log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from sandbox.delivery import DeliveryWorker
from sandbox.plm.seed import iso
from sandbox.plm.store import PLMStore

DEFAULT_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"mfg-sync sandbox PLM webhook key").decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a `whsec_<base64>` secret (ValueError naming the problem otherwise)."""
    if not secret.startswith("whsec_"):
        raise ValueError("webhook secret must look like whsec_<base64>")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError:
        raise ValueError("webhook secret is not valid base64 after whsec_") from None
    if len(key) < 24:
        raise ValueError("webhook secret must hold at least 24 bytes of key")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, as the Standard Webhooks spec defines."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def event_payload(event_type: str, data: dict[str, Any]) -> tuple[str, bytes]:
    """A new event: (webhook id, JSON body). The id stays the same across retries (receivers dedupe on it)."""
    msg_id = "msg_" + secrets.token_hex(12)
    body = json.dumps(
        {"type": event_type, "timestamp": data.get("effectiveDateTime") or iso_now(), "data": data},
        separators=(",", ":"),
    ).encode()
    return msg_id, body


def iso_now() -> str:
    from datetime import UTC, datetime

    return iso(datetime.now(UTC))


class WebhookDispatcher(DeliveryWorker):
    """Outbound webhooks: events to every active subscriber of their type, signed as Standard Webhooks."""

    def __init__(self, store: PLMStore, delays: Callable[[], Sequence[float]], on_attempt: Callable[[], None]) -> None:
        super().__init__(delays)
        self.store = store
        self._on_attempt = on_attempt

    async def publish(self, event_type: str, data: dict[str, Any]) -> int:
        """Schedule delivery to every active subscriber of event_type; returns how many."""
        subscriptions = await asyncio.to_thread(self.store.subscriptions_for, event_type)
        msg_id, body = event_payload(event_type, data)
        self.schedule(subscriptions, event_type, msg_id, body)
        return len(subscriptions)

    def signed_headers(self, sub: dict[str, Any], event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        return {
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(sub["secret"], event_id, timestamp, body),
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
                "INSERT INTO deliveries(subscription_guid, event_id, event_type, attempt, attempted_at, "
                "status_code, error, succeeded) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sub["guid"], event_id, event_type, attempt, iso_now(), status, error, int(ok)),
            )
        self._on_attempt()
