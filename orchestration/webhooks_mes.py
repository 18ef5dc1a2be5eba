"""The receiver's `/webhooks/mes` route: the MES's product-order completion triggers, verified and dropped once.

    POST /webhooks/mes   JSON {event, productOrderNumber, workInstructionId, recordingId}
    GET  /webhooks/mes?event=...&productOrderNumber=...&workInstructionId=...&recordingId=...

Verified by `X-Azumuta-Signature: sha256=<hex HMAC-SHA256(secret, "{X-Azumuta-Timestamp}." + signed)>`,
`signed` being the raw body (POST) or the raw query string (GET), within the timestamp tolerance; or, for a
trigger configured with auth `secret`, by `X-Azumuta-Secret` compared in constant time. The event id is
`X-Azumuta-Delivery` (the same across the MES's retries). Answers as the PLM route: 202 stored, 200 duplicate,
401 unsigned or badly signed, 400 stale or malformed; nothing rejected is stored.

Secrets: MFG_SYNC_MES_WEBHOOK_SECRET (space-separated while rotating; the sandbox's under the sandbox
profile). Unset outside the profile: the route is not served.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orchestration.triggers_config import WebhookSettings
from orchestration.webhook_limits import LimitExceeded, check_headers
from orchestration.webhook_source import Rejected, check_fresh, parse_json, read_body
from resources.connection_rules import PUBLISHED_SANDBOX_SECRETS, published_secret_problem
from resources.sandbox_profile import PUBLISHED_DEFAULTS, sandbox_profile_active
from resources.state import StateStore
from sync.shop_floor_webhook import EVENT, completion_ids

log = logging.getLogger("orchestration.webhooks")
MES_SOURCE = "mes"
SECRET_ENV, URL_ENV = "MFG_SYNC_MES_WEBHOOK_SECRET", "MFG_SYNC_MES_URL"
DELIVERY, TIMESTAMP = "x-azumuta-delivery", "x-azumuta-timestamp"
SIGNATURE, SECRET = "x-azumuta-signature", "x-azumuta-secret"


def mes_webhook_secrets(env: dict[str, str] | None = None) -> list[str]:
    """The MES's webhook secrets; [] when unset outside the sandbox profile (then no route is served)."""
    e = os.environ if env is None else env
    raw = e.get(SECRET_ENV, "").split()
    if not raw and sandbox_profile_active(e):
        raw = [PUBLISHED_SANDBOX_SECRETS[SECRET_ENV]]
    url = e.get(URL_ENV, "").strip() or PUBLISHED_DEFAULTS[URL_ENV]
    for secret in raw:
        if problem := published_secret_problem("mes", url, SECRET_ENV, secret):
            raise ValueError(problem)
    return raw


def verify_mes(headers: Any, signed: bytes, secrets: Sequence[str], tolerance_s: int, now: float | None = None) -> str:
    """The delivery id of a verified MES call, or `Rejected`."""
    delivery = headers.get(DELIVERY, "")
    if not delivery or len(delivery) > 255:
        raise Rejected(401 if not delivery else 400, "missing or oversized X-Azumuta-Delivery header")
    shared = headers.get(SECRET)
    if shared is not None:
        if not any(hmac.compare_digest(shared.encode(), s.encode()) for s in secrets):
            raise Rejected(401, f"X-Azumuta-Secret does not match (delivery {delivery})")
        return delivery
    timestamp, signature = headers.get(TIMESTAMP, ""), headers.get(SIGNATURE, "")
    if not (timestamp and signature):
        raise Rejected(401, f"unsigned: no X-Azumuta-Signature/-Timestamp or -Secret (delivery {delivery})")
    expected = [
        "sha256=" + hmac.new(s.encode(), f"{timestamp}.".encode() + signed, hashlib.sha256).hexdigest() for s in secrets
    ]
    if not any(hmac.compare_digest(signature, e) for e in expected):
        raise Rejected(401, f"signature does not match any configured secret (delivery {delivery})")
    check_fresh("X-Azumuta-Timestamp", timestamp, tolerance_s, f"delivery {delivery}", now)
    return delivery


def check_completion(event: Any) -> str:
    _, problem = completion_ids(event)
    if problem:
        raise Rejected(400, f"not a completion event: {problem}")
    return EVENT


def _endpoint(store: StateStore, settings: WebhookSettings, secrets: Sequence[str]):
    async def endpoint(request: Request) -> Response:
        client = request.client.host if request.client else "-"
        try:
            try:
                check_headers(request.scope["headers"])
            except LimitExceeded as exc:
                raise Rejected(exc.status, exc.reason) from None
            if request.method == "GET":
                delivery = verify_mes(
                    request.headers, request.scope.get("query_string", b""), secrets, settings.tolerance_s
                )
                event: Any = dict(request.query_params)
            else:
                content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type != "application/json":
                    raise Rejected(415, f"content type {content_type or '(none)'!r} is not application/json")
                body = await read_body(request, settings.max_body_bytes, settings.read_timeout_s)
                delivery = verify_mes(request.headers, body, secrets, settings.tolerance_s)
                event = await run_in_threadpool(parse_json, body, f"delivery {delivery}")
            event_type = check_completion(event)
        except Rejected as rejection:
            log.warning("webhook mes rejected %d from %s: %s", rejection.status, client, rejection.reason)
            return JSONResponse({"error": rejection.reason}, status_code=rejection.status)
        stored = await run_in_threadpool(store.add_webhook_drop, MES_SOURCE, delivery, event_type, event)
        log.info("webhook mes %s %s from %s", "accepted" if stored else "duplicate", delivery, client)
        status = "accepted" if stored else "duplicate"
        return JSONResponse({"id": delivery, "status": status}, status_code=202 if stored else 200)

    return endpoint


def mes_routes(store: StateStore, settings: WebhookSettings, secrets: Sequence[str] | None = None) -> list[Route]:
    """POST and GET `/webhooks/mes`, or none when no MES secret is configured."""
    secrets = mes_webhook_secrets() if secrets is None else list(secrets)
    if not secrets:
        log.info("webhook mes not served: %s is not set", SECRET_ENV)
        return []
    return [Route(f"/webhooks/{MES_SOURCE}", _endpoint(store, settings, secrets), methods=["GET", "POST"])]
