"""SAP-specific HTTP policy on top of the shared transport: the CSRF token dance and the write-retry rule.

CSRF (`SapCsrf`, a transport `RequestHook`): before the first write, GET the service root with
`X-CSRF-Token: Fetch`; the answer's token and session cookie (kept in the client's cookie jar) go on every
write. A 403 with `X-CSRF-Token: Required` (token or session expired) drops the token and asks the
transport for ONE resend, whose `before_send` fetches a fresh token. Refetches are counted as the metrics
event `csrf_fetch`.

Write retries (`send_write`): a write (POST/PATCH/DELETE, `$batch` included) is resent ONLY when the ERP
provably did not process it: connection never established (the transport's rule), or an answer of 503 or
429, which SAP's web dispatcher/API gateway (and the sandbox's fault gate) give before the request
reaches the application. 500/502/504 and read timeouts are NOT retried for writes: the change may have
been applied.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from tenacity import RetryCallState

from resources.transport import ApiClient, ApiError, HookBase, HookClient, register_secret
from resources.transport.errors import error_class_for
from resources.transport.ratelimit import parse_retry_after
from resources.transport.retry import RetryBudget

NOT_PROCESSED = (429, 503)
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# The token fetch is a GET that changes nothing: any gateway or server hiccup may be retried.
CSRF_FETCH_RETRY_STATUSES = (*NOT_PROCESSED, 500, 502, 504)


class SapCsrf(HookBase):
    """SAP Gateway's CSRF protection for writes; thread-safe, one token per client session."""

    def __init__(self, fetch_path: str) -> None:
        self._fetch_path = fetch_path
        self._lock = threading.Lock()
        self._token: str | None = None

    def _fetch(self, client: HookClient) -> str:
        """GET with `X-CSRF-Token: Fetch`; one renewal of expired auth; 429/500/502/503/504 become retryable
        errors (nothing was written yet, so the transport may retry the whole call)."""
        for _ in range(2):
            response = client.send_once(
                "GET", self._fetch_path, headers={"X-CSRF-Token": "Fetch"}, route=f"{self._fetch_path} (csrf fetch)"
            )
            if response.status_code == 401 and client.auth.after_response(client, response.request, response):
                continue
            break
        token = response.headers.get("X-CSRF-Token")
        if response.status_code >= 400 or not token or token.lower() == "required":
            code, message = client.error_parser(response)
            err = error_class_for(response.status_code if response.status_code >= 400 else 502)(
                client.system,
                f"could not obtain a CSRF token: {message or response.reason_phrase}",
                status=response.status_code,
                code=code,
                method="GET",
                route=self._fetch_path,
                retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
            )
            err.may_retry = response.status_code in CSRF_FETCH_RETRY_STATUSES
            raise err
        register_secret(token)
        for cookie in client.http.cookies.jar:
            register_secret(cookie.value)
        client.metrics.event("csrf_fetch")
        return token

    def before_send(self, client: HookClient, request: httpx.Request) -> None:
        if request.method in READ_METHODS:
            return
        with self._lock:
            if self._token is None:
                self._token = self._fetch(client)
            token = self._token
        request.headers["X-CSRF-Token"] = token
        # The request was built before the fetch may have set the session cookie: rebuild its Cookie header.
        if "Cookie" in request.headers:
            del request.headers["Cookie"]
        client.http.cookies.set_cookie_header(request)

    def after_response(self, client: HookClient, request: httpx.Request, response: httpx.Response) -> bool:
        if response.status_code == 403 and response.headers.get("X-CSRF-Token", "").lower() == "required":
            with self._lock:
                if self._token == request.headers.get("X-CSRF-Token"):
                    self._token = None
            client.metrics.event("csrf_required")
            return True
        return False

    def __repr__(self) -> str:
        return "SapCsrf(***)"


def _gateway_error(client: ApiClient, method: str, route: str, response: httpx.Response) -> ApiError:
    code, message = client.error_parser(response)
    err = error_class_for(response.status_code)(
        client.system,
        message or response.reason_phrase,
        status=response.status_code,
        code=code,
        method=method,
        route=route,
        retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
    )
    err.may_retry = True
    err.not_processed = True  # only these are resent by send_write; errors from client.request were retried there
    return err


def send_write(
    client: ApiClient, method: str, path: str, *, route: str, correlation_id: str | None = None, **kwargs: Any
) -> httpx.Response:
    """Send a write; resend it only on 503/429 (not processed), with the client's backoff and budget."""
    budget = RetryBudget(client.policy.retry)

    def once() -> httpx.Response:
        response = client.request(
            method,
            path,
            route=route,
            idempotent=False,
            correlation_id=correlation_id,
            accept_statuses=NOT_PROCESSED,
            **kwargs,
        )
        if response.status_code in NOT_PROCESSED:
            raise _gateway_error(client, method, route, response)
        return response

    def before_sleep(state: RetryCallState) -> None:
        client.metrics.add("retries")
        client.metrics.add("retry_wait_s", state.upcoming_sleep)

    attempts = 0

    def counted() -> httpx.Response:
        nonlocal attempts
        attempts += 1
        return once()

    try:
        return budget.retrying(lambda e: getattr(e, "not_processed", False), before_sleep)(counted)
    except ApiError as err:
        if getattr(err, "not_processed", False):
            budget.annotate(err, attempts)
        raise


def odata_get(
    client: ApiClient,
    url: str,
    *,
    route: str,
    params: Mapping[str, Any] | None = None,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """GET an OData v2 resource and return its `d` object."""
    response = client.get(
        url, route=route, params=params, correlation_id=correlation_id, headers={"Accept": "application/json"}
    )
    body = response.json()
    if not isinstance(body, dict) or "d" not in body:
        raise ValueError(f"{client.system}: {route} answered without an OData 'd' object")
    return body["d"]


Logger = Callable[..., None]
