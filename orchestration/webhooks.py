"""The webhook receiver: verifies each source's signed events and drops them, once, in the state store.

    POST /webhooks/plm   Standard Webhooks (HMAC-SHA256 over "{id}.{timestamp}.{raw body}", 5 min tolerance)
    POST /webhooks/eam   Maximo publish channel (webhooks_eam.py), when an EAM secret is configured
    GET  /healthz

Answers: 202 stored; 200 duplicate (already stored, not stored again); 401 missing or bad signature;
400 stale timestamp, malformed JSON, JSON nested over 64 deep, an oversized webhook header, an unknown event
shape or an item number no PLM issues; 408 request not received in time; 413 body over the limit; 415 not
JSON; 431 headers over the limit; 503 too many connections (webhook_server.py). Every refusal is logged with
its reason and stores nothing. A drop is committed BEFORE the 202, so an accepted event survives a crash.
Sensors turn drops into runs. No Dagster import here: the receiver starts fast and stays up when a code
location is broken.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orchestration.triggers_config import WebhookSettings
from orchestration.webhook_limits import LimitExceeded, check_headers
from orchestration.webhook_server import ReceiverLimits, RunningServer, start_in_thread
from orchestration.webhook_source import Rejected, Source, check_fresh, parse_json, read_body
from orchestration.webhooks_condition import condition_endpoint, condition_secrets
from orchestration.webhooks_eam import EAM_SOURCE, eam_source
from orchestration.webhooks_mes import mes_routes
from resources.state import StateStore
from sync.item_numbers import item_number_problem

log = logging.getLogger("orchestration.webhooks")

PLM_SOURCE = "plm"
PLM_EVENT_TYPES = ("change.effective",)


# --- Standard Webhooks verification -------------------------------------------------------------------------


def expected_signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    """The raw HMAC-SHA256 digest the sender must have signed."""
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def verify_standard_webhook(
    headers: Any, body: bytes, keys: Sequence[bytes], tolerance_s: int, now: float | None = None
) -> str:
    """Check the `webhook-*` headers against the raw body; return the webhook id or raise `Rejected`.

    Any of `keys` may match (secret rotation); each `v1,` signature in the header is compared in constant time.
    """
    msg_id, timestamp, header = (headers.get(f"webhook-{h}", "") for h in ("id", "timestamp", "signature"))
    if not (msg_id and timestamp and header):
        raise Rejected(401, "missing webhook-id, webhook-timestamp or webhook-signature header")
    signatures = []
    for entry in header.split():
        version, _, value = entry.partition(",")
        if version == "v1":
            try:
                signatures.append(base64.b64decode(value, validate=True))
            except ValueError:
                continue
    if not signatures:
        raise Rejected(401, "no v1 signature in webhook-signature")
    if not any(
        hmac.compare_digest(expected_signature(key, msg_id, timestamp, body), sig) for key in keys for sig in signatures
    ):
        raise Rejected(401, f"signature does not match any configured secret (webhook-id {msg_id})")
    check_fresh("webhook-timestamp", timestamp, tolerance_s, f"webhook-id {msg_id}", now)
    return msg_id


# --- event shapes ---------------------------------------------------------------------------------------------


def check_plm_event(event: Any) -> str:
    """The event's type when it is a PLM event the sensors understand; `Rejected(400)` naming the field otherwise."""
    if not isinstance(event, dict):
        raise Rejected(400, "event body must be a JSON object")
    event_type = event.get("type")
    if event_type not in PLM_EVENT_TYPES:
        raise Rejected(400, f"unknown event type {event_type!r} (expected one of {list(PLM_EVENT_TYPES)})")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("number"), str):
        raise Rejected(400, f"{event_type}: field 'data.number' (the change number) is missing")
    change_problem = item_number_problem(data["number"])
    if change_problem:
        raise Rejected(400, f"{event_type}: field 'data.number' {ascii(data['number'])[:80]} {change_problem}")
    items = data.get("affectedItems")
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("number"), str) for i in items):
        raise Rejected(
            400, f"{event_type} {data['number']}: field 'data.affectedItems' must be a list of objects with a 'number'"
        )
    for position, item in enumerate(items):
        problem = item_number_problem(item["number"])
        if problem:  # ascii(): a lone surrogate or control character must not reach the log as itself
            raise Rejected(
                400,
                f"{event_type} {data['number']}: item number data.affectedItems[{position}]."
                f"number {ascii(item['number'])[:80]} {problem}",
            )
    return event_type


# --- the app --------------------------------------------------------------------------------------------------


def _receive(source: Source, store: StateStore, limit: int, read_timeout_s: float) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        client = request.client.host if request.client else "-"
        try:
            try:
                check_headers(request.scope["headers"])
            except LimitExceeded as exc:
                raise Rejected(exc.status, exc.reason) from None
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise Rejected(415, f"content type {content_type or '(none)'!r} is not application/json")
            body = await read_body(request, limit, read_timeout_s)
            event_id = source.verify(request.headers, body)
            event = await run_in_threadpool(
                parse_json, body, f"webhook-id {event_id}"
            )  # a 1 MiB scan must not stall the loop
            event_type = source.check_event(event)
        except Rejected as rejection:
            log.warning("webhook %s rejected %d from %s: %s", source.name, rejection.status, client, rejection.reason)
            # a refused body may be unread: close rather than parse what follows as the next request
            return JSONResponse(
                {"error": rejection.reason},
                status_code=rejection.status,
                headers={"connection": "close"} if rejection.status in (408, 413, 431) else None,
            )
        stored = await run_in_threadpool(store.add_webhook_drop, source.name, event_id, event_type, event)
        if not stored:
            log.info("webhook %s duplicate %s (%s) from %s: already dropped", source.name, event_id, event_type, client)
            return JSONResponse({"id": event_id, "status": "duplicate"}, status_code=200)
        log.info("webhook %s accepted %s (%s) from %s", source.name, event_id, event_type, client)
        return JSONResponse({"id": event_id, "status": "accepted"}, status_code=202)

    return endpoint


def create_app(store: StateStore | None = None, settings: WebhookSettings | None = None) -> Starlette:
    """The receiver app; `store` and `settings` default to the environment's."""
    settings = settings or WebhookSettings.from_env()
    store = store or StateStore.from_env()
    plm = Source(
        PLM_SOURCE,
        lambda headers, body: verify_standard_webhook(headers, body, settings.plm_secrets, settings.tolerance_s),
        check_plm_event,
    )

    sources = [plm, *([eam_source(settings.eam_secrets, settings.tolerance_s)] if settings.eam_secrets else [])]

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True, "sources": [source.name for source in sources]})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await run_in_threadpool(store.upgrade)  # migrate before the first delivery, not during it
        yield

    async def read_signed(request: Request, keys: list[bytes]) -> bytes:  # what every signed route checks
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise Rejected(415, f"content type {content_type or '(none)'!r} is not application/json")
        body = await read_body(request, settings.max_body_bytes, settings.read_timeout_s)
        verify_standard_webhook(request.headers, body, keys, settings.tolerance_s)
        return body

    receive_condition = condition_endpoint(store, condition_secrets(), read_signed, Rejected)
    routes = [
        *(
            Route(
                f"/webhooks/{s.name}",
                _receive(s, store, settings.max_body_bytes, settings.read_timeout_s),
                methods=["POST"],
            )
            for s in sources
        ),
        Route("/webhooks/condition", receive_condition, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        *mes_routes(store, settings),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


# --- running it -----------------------------------------------------------------------------------------------


@dataclass
class RunningReceiver:
    server: RunningServer

    @property
    def url(self) -> str:  # base URL, e.g. http://127.0.0.1:8090
        return self.server.base_url

    @property
    def plm_url(self) -> str:
        return f"{self.url}/webhooks/{PLM_SOURCE}"

    @property
    def eam_url(self) -> str:
        return f"{self.url}/webhooks/{EAM_SOURCE}"

    def stop(self, timeout: float = 10.0) -> None:
        self.server.stop(timeout)


def receiver_limits(settings: WebhookSettings) -> ReceiverLimits:
    """The serving limits (head deadline, connections, keep-alive) of these settings."""
    return ReceiverLimits(
        read_timeout_s=settings.read_timeout_s,
        max_connections=settings.max_connections,
        keep_alive_s=settings.keep_alive_s,
    )


def start_receiver(
    app: Starlette, host: str = "127.0.0.1", port: int = 0, limits: ReceiverLimits | None = None
) -> RunningReceiver:
    """Serve `app` from a daemon thread (port 0 = a free one); returns once it accepts connections."""
    return RunningReceiver(start_in_thread(app, limits or ReceiverLimits(), host, port))


@contextmanager
def receiving(
    store: StateStore | None = None, settings: WebhookSettings | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningReceiver]:
    """`with receiving(store) as receiver:` - the receiver answers real HTTP inside the block."""
    settings = settings or WebhookSettings.from_env()
    running = start_receiver(create_app(store, settings), host, port, receiver_limits(settings))
    try:
        yield running
    finally:
        running.stop()


def subscribe_plm(
    plm_base_url: str,
    receiver_url: str,
    secret: str | None = None,
    events: Sequence[str] = PLM_EVENT_TYPES,
    **plm_settings: Any,
) -> dict[str, Any]:
    """Register (once) a PLM webhook subscription pointing at `receiver_url`; returns the subscription.

    `secret` (whsec_...) defaults to the PLM's own default; `plm_settings` go to `PLMResource`
    (email, password, workspace_id...). An existing subscription for the same URL is returned as is.
    """
    # Dagster-backed: imported only when subscribing, never in the receiver
    from resources.plm.resource import PLMResource

    with PLMResource(url=plm_base_url, **plm_settings).client() as client:
        existing = client.api.get("/v1/webhooks/subscriptions", route="/v1/webhooks/subscriptions").json()
        for subscription in existing.get("results", []):
            if subscription.get("url") == receiver_url and subscription.get("active", True):
                return subscription
        body: dict[str, Any] = {"url": receiver_url, "events": list(events)}
        if secret:
            body["secret"] = secret
        return client.api.post("/v1/webhooks/subscriptions", json=body, route="/v1/webhooks/subscriptions").json()
