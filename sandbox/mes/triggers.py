"""Triggers: per article category, a webhook called when one of its product orders is completed.

A trigger calls its URL with POST and a JSON body, or with GET and query parameters, carrying the product
order number, the work instruction id and the recording id; retried on a schedule until a 2xx answer.

Headers of every attempt: `X-Azumuta-Delivery` (the same across retries), `X-Azumuta-Timestamp` (epoch s) and
- auth `hmac`: `X-Azumuta-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}." + signed)>`, where
  `signed` is the raw JSON body (POST) or the query string as sent (GET);
- auth `secret`: `X-Azumuta-Secret: <secret>` (for endpoints that only compare a shared secret).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from sandbox.delivery import DeliveryWorker
from sandbox.mes.store import MESStore

EVENT = "productOrder.completed"
METHODS, AUTH_MODES = ("POST", "GET"), ("hmac", "secret")
DELIVERY_HEADER, TIMESTAMP_HEADER = "X-Azumuta-Delivery", "X-Azumuta-Timestamp"
SIGNATURE_HEADER, SECRET_HEADER = "X-Azumuta-Signature", "X-Azumuta-Secret"
DEFAULT_WEBHOOK_SECRET = "mfg-sync-sandbox-mes-webhook-secret"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def sign(secret: str, timestamp: int, signed: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + signed, hashlib.sha256).hexdigest()


def query_of(payload: dict[str, Any]) -> str:
    """The GET form of an event: its fields as query parameters, in a fixed order, empty ones left out."""
    return urlencode([(k, str(v)) for k, v in payload.items() if v not in (None, "")])


class TriggerWorker(DeliveryWorker):
    """Calls the triggers of a completed order's article category, each attempt logged in `deliveries`."""

    def __init__(self, store: MESStore, delays: Callable[[], Sequence[float]]) -> None:
        super().__init__(delays)
        self.store = store

    def triggers_for(self, category: str) -> list[dict[str, Any]]:
        return [
            t
            for t in self.store.all("trigger")
            if t.get("active", True) and t["event"] == EVENT and t["articleCategory"] in (category, "*")
        ]

    def fire(self, category: str, delivery_id: str, payload: dict[str, Any]) -> int:
        """Schedule one delivery per matching trigger (from the app's event loop); returns how many."""
        triggers = self.triggers_for(category)
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.schedule(triggers, EVENT, delivery_id, body)
        return len(triggers)

    def signed_headers(self, sub: dict[str, Any], event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        headers = {DELIVERY_HEADER: event_id, TIMESTAMP_HEADER: str(timestamp)}
        if sub["auth"] == "secret":
            headers[SECRET_HEADER] = sub["secret"]
        else:
            headers[SIGNATURE_HEADER] = sign(sub["secret"], timestamp, body)
        return headers

    async def _attempt(self, sub: dict[str, Any], event_id: str, body: bytes) -> tuple[int | None, str | None]:
        assert self._client is not None, "TriggerWorker not started"
        timestamp = int(time.time())
        try:
            if sub["method"] == "GET":
                query = query_of(json.loads(body)).encode()
                headers = self.signed_headers(sub, event_id, timestamp, query)
                response = await self._client.get(f"{sub['url']}?{query.decode()}", headers=headers)
            else:
                headers = {"content-type": "application/json", **self.signed_headers(sub, event_id, timestamp, body)}
                response = await self._client.post(sub["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None if response.is_success else f"HTTP {response.status_code}"

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
                "INSERT INTO deliveries(trigger_id, delivery_id, attempt, attempted_at, status_code, error, "
                "succeeded) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sub["id"], event_id, attempt, now_iso(), status, error, int(ok)),
            )
