"""Test support for the triggers: signing like a Standard Webhooks sender, a local alert inbox, and running
the real `bom_sync` job (named so, as the failure sensor sees it) against the sandbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import assets
from assets.jobs import bom_sync
from assets.partitions import assemblies
from orchestration.triggers_config import SANDBOX_PLM_WEBHOOK_SECRET
from orchestration.webhooks import start_receiver
from resources.state import StateStore

OTHER_SECRET = "whsec_" + base64.b64encode(b"a rotated-in webhook key of 32 bytes").decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` with the key inside `whsec_<base64>`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def change_event(change: str, *items: str) -> dict[str, Any]:
    """A `change.effective` event body as the PLM sends it."""
    return {
        "type": "change.effective",
        "timestamp": "2025-03-11T05:00:00Z",
        "data": {
            "guid": secrets.token_hex(8),
            "number": change,
            "effectiveDateTime": "2025-03-11T05:00:00Z",
            "affectedItems": [{"guid": secrets.token_hex(8), "number": n, "revisionNumber": "B"} for n in items],
        },
    }


def signed_delivery(
    event: Any,
    secret: str = SANDBOX_PLM_WEBHOOK_SECRET,
    msg_id: str | None = None,
    timestamp: int | None = None,
    body: bytes | None = None,
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of one delivery; `body` overrides the JSON of `event` (signed as given)."""
    raw = body if body is not None else json.dumps(event, separators=(",", ":")).encode()
    msg_id = msg_id or "msg_" + secrets.token_hex(12)
    timestamp = int(time.time()) if timestamp is None else timestamp
    return raw, {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, raw),
    }


def wait_for_drops(store: StateStore, count: int, timeout_s: float = 15.0) -> list:
    """The drops once `count` are there (the PLM delivers in the background)."""
    deadline = time.monotonic() + timeout_s
    while True:
        drops = store.webhook_drops_after(0)
        if len(drops) >= count or time.monotonic() > deadline:
            return drops
        time.sleep(0.05)


def evaluate_failure_sensor(sensor: Any, result: dg.ExecuteInProcessResult, instance, resources: dict) -> None:
    """What the Dagster daemon does for a failed run: evaluate the run-failure `sensor` on it."""
    with dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources=resources,
    ) as context:
        sensor(context)


class AlertInbox:
    """A Slack-compatible incoming webhook on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()

        async def receive(request: Request) -> JSONResponse:
            message = await request.json()
            with self._lock:
                self.messages.append(message)
            return JSONResponse({"ok": True})

        self.app = Starlette(routes=[Route("/services/T000/B000/alert-token-xyz", receive, methods=["POST"])])

    @contextmanager
    def serving(self) -> Iterator[str]:
        running = start_receiver(self.app)
        try:
            yield f"{running.url}/services/T000/B000/alert-token-xyz"
        finally:
            running.stop()


def run_bom_sync_job(
    resources: dict[str, Any],
    instance: dg.DagsterInstance,
    assembly: str,
    retry_policy: dg.RetryPolicy | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Execute the real `bom_sync` job (same name and selection) for one partition, retries as given."""
    job = dg.define_asset_job(
        bom_sync.name, selection=bom_sync.selection, partitions_def=assemblies, op_retry_policy=retry_policy
    )
    found = assets.definitions()
    defs = dg.Definitions(assets=found.assets, asset_checks=found.asset_checks, jobs=[job], resources=resources)
    instance.add_dynamic_partitions(assemblies.name, [assembly])
    return defs.resolve_job_def(bom_sync.name).execute_in_process(
        partition_key=assembly, instance=instance, raise_on_error=False, tags=tags
    )


# one pooled client: a fresh httpx.Client per call spends ~50 ms building an SSL context
_HTTP = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST one delivery over real HTTP (thread-safe)."""
    return _HTTP.post(url, content=body, headers=headers)
