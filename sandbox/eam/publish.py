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
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from sandbox.eam.materials import now_iso
from sandbox.eam.store import EamStore

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


class Publisher:
    """Posts events to subscribers from the app's event loop; the request that caused them never waits."""

    def __init__(self, store: EamStore, delays: Callable[[], Sequence[float]]) -> None:
        self.store = store
        self._delays = delays  # read at send time so PUT /_sandbox/settings applies to the next event
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

    def subscriptions_for(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM subscriptions ORDER BY created_at, id")
        return [dict(r) for r in rows if {event_type, "*"} & set(json.loads(r["events"]))]

    async def publish(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for event_type, data in events:
            subscriptions = await asyncio.to_thread(self.subscriptions_for, event_type)
            event_id = "evt_" + secrets.token_hex(12)
            body = json.dumps({"eventid": event_id, "eventtype": event_type, "channel": CHANNELS[event_type],
                               "timestamp": now_iso(), "data": data}, separators=(",", ":")).encode()
            for sub in subscriptions:
                task = asyncio.create_task(self._deliver(sub, event_type, event_id, body))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, sub: dict[str, Any], event_type: str, event_id: str, body: bytes) -> None:
        delays = list(self._delays())
        for attempt in range(1, len(delays) + 2):
            status, error = await self._attempt(sub, event_id, body)
            ok = status is not None and 200 <= status < 300
            await asyncio.to_thread(self._record, sub["id"], event_id, event_type, attempt, status, error, ok)
            if ok or attempt > len(delays):
                return
            await asyncio.sleep(delays[attempt - 1])

    async def _attempt(self, sub: dict[str, Any], event_id: str, body: bytes) -> tuple[int | None, str | None]:
        timestamp = int(time.time())
        headers = {"content-type": "application/json", EVENT_ID_HEADER: event_id, TIMESTAMP_HEADER: str(timestamp),
                   SIGNATURE_HEADER: sign(sub["secret"], timestamp, body)}
        assert self._client is not None, "publisher not started"
        try:
            response = await self._client.post(sub["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None if response.is_success else f"HTTP {response.status_code}"

    def _record(self, sub_id: str, event_id: str, event_type: str, attempt: int, status: int | None,
                error: str | None, ok: bool) -> None:
        with self.store.tx() as c:
            c.execute("INSERT INTO deliveries(subscription_id, event_id, event_type, attempt, attempted_at, "
                      "status_code, error, succeeded) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (sub_id, event_id, event_type, attempt, now_iso(), status, error, int(ok)))
