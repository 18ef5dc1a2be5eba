"""`POST /webhooks/condition`: the condition events of platforms that push webhooks instead of publishing MQTT.

Signed like the PLM route (Standard Webhooks, `MFG_SYNC_CONDITION_WEBHOOK_SECRET`, `whsec_...`, several
space-separated while rotating); without a secret the route answers 503. The event is validated as the MQTT
listener validates it and dropped under the same key (source `condition`, the event's own id), so an event
that arrives both ways is stored once. Answers: 202 stored, 200 duplicate, 401 bad signature, 422 a signed
but invalid event (kept as a rejected drop with its reason, never lost), 413/415/400 as the PLM route.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orchestration.condition_ingest import EVENT_TYPE, SOURCE, store_message
from orchestration.triggers_config import webhook_secrets
from resources.state import StateStore

log = logging.getLogger("orchestration.webhooks")
SECRET_ENV = "MFG_SYNC_CONDITION_WEBHOOK_SECRET"


def condition_secrets() -> list[bytes]:
    return webhook_secrets(name=SECRET_ENV) if os.environ.get(SECRET_ENV, "").strip() else []


def condition_endpoint(
    store: StateStore,
    keys: list[bytes],
    read_verified: Callable[[Request, list[bytes]], Awaitable[bytes]],
    rejected: type[Exception],
) -> Callable[..., Any]:
    """The route; `read_verified` is the receiver's (content type, size, time, signature), raising `rejected`
    (with `status` and `reason`), handed in so this module needs nothing of the receiver's."""

    async def endpoint(request: Request) -> Response:
        client = request.client.host if request.client else "-"
        try:
            if not keys:
                raise rejected(503, f"condition webhooks are not configured ({SECRET_ENV} is not set)")
            body = await read_verified(request, keys)
        except rejected as rejection:
            status, reason = rejection.status, rejection.reason  # type: ignore[attr-defined]
            log.warning("webhook %s rejected %d from %s: %s", SOURCE, status, client, reason)
            return JSONResponse({"error": reason}, status_code=status)
        event_id, stored, reason = await run_in_threadpool(store_message, store, "webhooks/condition", body)
        if reason is not None:  # signed by the platform, so kept (rejected) for a person to look at
            log.warning("webhook %s kept invalid event %s from %s: %s", SOURCE, event_id, client, reason)
            return JSONResponse({"id": event_id, "status": "rejected", "error": reason}, status_code=422)
        status = "accepted" if stored else "duplicate"
        log.info("webhook %s %s %s (%s) from %s", SOURCE, status, event_id, EVENT_TYPE, client)
        return JSONResponse({"id": event_id, "status": status}, status_code=202 if stored else 200)

    return endpoint
