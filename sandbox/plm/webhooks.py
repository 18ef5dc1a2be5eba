"""Outbound webhooks (sandbox extension): Standard Webhooks signatures, retries with backoff, delivery log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from sandbox.plm.seed import iso
from sandbox.plm.store import PlmStore

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
    body = json.dumps({"type": event_type, "timestamp": data.get("effectiveDateTime") or iso_now(), "data": data},
                      separators=(",", ":")).encode()
    return msg_id, body


def iso_now() -> str:
    from datetime import UTC, datetime

    return iso(datetime.now(UTC))


class WebhookDispatcher:
    """Posts events to subscribers from the app's event loop, without blocking the request that caused them."""

    def __init__(self, store: PlmStore, delays: Callable[[], Sequence[float]], on_attempt: Callable[[], None]) -> None:
        self.store = store
        self._delays = delays  # read at send time so PUT /_sandbox/settings applies to the next event
        self._on_attempt = on_attempt
        self._tasks: set[asyncio.Task] = set()
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=5.0)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, event_type: str, data: dict[str, Any]) -> int:
        """Schedule delivery to every active subscriber of event_type; returns how many."""
        subscriptions = await asyncio.to_thread(self.store.subscriptions_for, event_type)
        msg_id, body = event_payload(event_type, data)
        for sub in subscriptions:
            task = asyncio.create_task(self._deliver(sub, event_type, msg_id, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(subscriptions)

    async def _deliver(self, sub: dict[str, Any], event_type: str, msg_id: str, body: bytes) -> None:
        delays = list(self._delays())
        for attempt in range(1, len(delays) + 2):
            status, error = await self._attempt(sub, msg_id, body)
            ok = status is not None and 200 <= status < 300
            await asyncio.to_thread(self._record, sub["guid"], msg_id, event_type, attempt, status, error, ok)
            if ok or attempt > len(delays):
                return
            await asyncio.sleep(delays[attempt - 1])

    async def _attempt(self, sub: dict[str, Any], msg_id: str, body: bytes) -> tuple[int | None, str | None]:
        timestamp = int(time.time())
        headers = {"content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(timestamp),
                   "webhook-signature": sign(sub["secret"], msg_id, timestamp, body)}
        assert self._client is not None, "dispatcher not started"
        try:
            response = await self._client.post(sub["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None if response.is_success else f"HTTP {response.status_code}"

    def _record(self, sub_guid: str, msg_id: str, event_type: str, attempt: int, status: int | None,
                error: str | None, ok: bool) -> None:
        with self.store.tx() as c:
            c.execute("INSERT INTO deliveries(subscription_guid, event_id, event_type, attempt, attempted_at, "
                      "status_code, error, succeeded) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (sub_guid, msg_id, event_type, attempt, iso_now(), status, error, int(ok)))
        self._on_attempt()

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no delivery is pending (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self._tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
