"""`ApiClient`: the one way any asset talks HTTP to an outside system.

A sync `httpx.Client` with explicit timeouts and pool limits, behind: a client-side token bucket and the
system's quota headers; auth and other `RequestHook`s; retries only where safe, until the time budget is
spent (retry.py: capped exponential backoff with full jitter, Retry-After honoured); typed errors;
a correlation id on every request and log line; thread-safe metrics; secret-free logging.
"""

from __future__ import annotations

import json as jsonlib
import logging
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import RetryCallState

from .auth import NoAuth
from .errors import ApiError, ErrorParser, TransientError, default_error_parser, error_class_for
from .hooks import RequestHook
from .metrics import TransportMetrics
from .policy import TransportPolicy
from .ratelimit import QuotaGate, TokenBucket, parse_retry_after
from .redact import (
    correlation_id_var,
    install_log_redaction,
    redact_headers,
    redact_mapping,
    redact_url,
    register_secret,
    scrub,
)
from .retry import RetryBudget

log = logging.getLogger("resources.transport")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The request never left this machine, so resending cannot duplicate a write.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _may_retry(exc: BaseException) -> bool:
    return isinstance(exc, ApiError) and exc.may_retry


@dataclass
class _Call:
    """One logical request and the state shared by its attempts."""

    method: str
    path: str
    route: str
    correlation_id: str
    retry_safe: bool
    send_kwargs: dict[str, Any]
    headers: dict[str, str]
    accept_statuses: Collection[int]
    resent_by: set[int] = field(default_factory=set)
    attempt: int = 0


class ApiClient:
    """HTTP client for one outside system; share one instance across threads.

    `request()` returns the `httpx.Response` for 2xx/3xx (and any `accept_statuses`), otherwise raises an
    `ApiError` subclass. Use as a context manager or call `close()` (which logs out session auth).
    """

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        policy: TransportPolicy | None = None,
        auth: RequestHook | None = None,
        hooks: Sequence[RequestHook] = (),
        correlation_id: str | None = None,
        error_parser: ErrorParser = default_error_parser,
        secrets: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        install_log_redaction()
        for secret in secrets:
            register_secret(secret)
        self.system = system
        self.policy = policy or TransportPolicy()
        self.correlation_id = correlation_id
        self.error_parser = error_parser
        self.metrics = TransportMetrics()
        self.auth = auth or NoAuth()
        self._hooks: list[RequestHook] = [self.auth, *hooks]
        self._bucket = TokenBucket(self.policy.rate_limit) if self.policy.rate_limit else None
        self._quota = QuotaGate(self.policy.quota) if self.policy.quota else None
        self._closed = False
        t = self.policy.timeouts
        self.http = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(connect=t.connect_s, read=t.read_s, write=t.write_s, pool=t.pool_s),
            limits=httpx.Limits(
                max_connections=self.policy.max_connections,
                max_keepalive_connections=self.policy.max_keepalive_connections,
                keepalive_expiry=self.policy.keepalive_expiry_s,
            ),
            headers={"User-Agent": self.policy.user_agent, **(headers or {})},
            verify=self.policy.verify_tls,
            transport=transport,
            follow_redirects=False,
        )

    # ---- public API -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        route: str | None = None,
        idempotent: bool | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        accept_statuses: Collection[int] = (),
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one logical request (with retries where safe) and return the response or raise `ApiError`.

        `route` is the template for metrics/logs (e.g. "/v1/items/{guid}/bom"; default: the path).
        `idempotent` overrides the method's default (GET/HEAD/OPTIONS/PUT/DELETE retry; POST/PATCH not).
        """
        if self._closed:
            raise RuntimeError(f"{self.system}: ApiClient is closed")
        method = method.upper()
        send_kwargs: dict[str, Any] = {"params": params, "json": json, "content": content, "data": data}
        if timeout is not None:
            send_kwargs["timeout"] = timeout
        call = _Call(
            method=method,
            path=path,
            route=route or path.split("?", 1)[0],
            correlation_id=correlation_id or self.correlation_id or uuid.uuid4().hex,
            retry_safe=idempotent if idempotent is not None else method in IDEMPOTENT_METHODS,
            send_kwargs=send_kwargs,
            headers=dict(headers or {}),
            accept_statuses=accept_statuses,
        )
        token = correlation_id_var.set(call.correlation_id)
        started, failed = time.monotonic(), True
        budget = RetryBudget(self.policy.retry)
        try:
            response = budget.retrying(_may_retry, self._before_sleep)(self._attempt, call)
            failed = False
            return response
        except ApiError as err:
            budget.annotate(err, call.attempt)
            log.warning(
                "%s: %s %s gave up after %d attempt(s) in %.1f s: %s correlation_id=%s",
                self.system,
                method,
                call.route,
                call.attempt,
                budget.elapsed_s(),
                err,
                call.correlation_id,
            )
            raise
        finally:
            self.metrics.record_call(method, call.route, time.monotonic() - started, failed)
            correlation_id_var.reset(token)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """`request("GET", ...)`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """`request("POST", ...)`; not retried unless `idempotent=True`."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        """`request("PUT", ...)`."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        """`request("PATCH", ...)`; not retried unless `idempotent=True`."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        """`request("DELETE", ...)`."""
        return self.request("DELETE", path, **kwargs)

    def send_once(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        route: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """One exchange for hooks (e.g. a CSRF token fetch): rate limit + auth + metrics, no retries,
        no other hooks, no status check. Cookies set by the answer stay in `self.http`'s jar."""
        call = _Call(
            method=method.upper(),
            path=path,
            route=route or path,
            retry_safe=False,
            correlation_id=self.current_correlation_id(),
            send_kwargs={"params": params},
            headers=dict(headers or {}),
            accept_statuses=(),
        )
        self._pace()
        request = self._build(call)
        self.auth.before_send(self, request)
        return self._exchange(call, request)

    def current_correlation_id(self) -> str:
        """The correlation id of the request in flight on this thread, else the client's default."""
        current = correlation_id_var.get()
        return current if current != "-" else (self.correlation_id or uuid.uuid4().hex)

    def close(self) -> None:
        """Run hooks' close (logout), then close the connection pool. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for hook in reversed(self._hooks):
            try:
                hook.close(self)
            except Exception as exc:  # one failing hook must not keep the pool open
                log.warning("%s: closing %r failed: %s", self.system, hook, scrub(str(exc)))
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ApiClient({self.system!r}, {redact_url(self.http.base_url)!r}, auth={self.auth!r})"

    # ---- retry loop -------------------------------------------------------------------------------

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        self.metrics.add("retries")
        self.metrics.add("retry_wait_s", state.upcoming_sleep)
        log.warning(
            "%s: %s; retry %d in %.3fs (%.1f s of the %g s budget spent) correlation_id=%s",
            self.system,
            exc,
            state.attempt_number,
            state.upcoming_sleep,
            state.seconds_since_start,
            self.policy.retry.total_budget_s,
            correlation_id_var.get(),
        )

    # ---- one attempt ------------------------------------------------------------------------------

    def _attempt(self, call: _Call) -> httpx.Response:
        call.attempt += 1
        while True:
            self._pace()
            request = self._build(call)
            for hook in self._hooks:
                hook.before_send(self, request)
            response = self._exchange(call, request)
            if not self._resend_requested(call, request, response):
                break
            self.metrics.add("resends")
        if response.status_code >= 400 and response.status_code not in call.accept_statuses:
            raise self._error(call, response)
        return response

    def _resend_requested(self, call: _Call, request: httpx.Request, response: httpx.Response) -> bool:
        """Ask each hook that has not resent yet in this call whether to resend once."""
        for hook in self._hooks:
            if id(hook) not in call.resent_by and hook.after_response(self, request, response):
                call.resent_by.add(id(hook))
                return True
        return False

    def _pace(self) -> None:
        if self._quota is not None:
            self.metrics.add("quota_wait_s", self._quota.wait())
        if self._bucket is not None:
            self.metrics.add("rate_limit_wait_s", self._bucket.acquire())

    def _build(self, call: _Call) -> httpx.Request:
        headers = {**call.headers, self.policy.correlation_header: call.correlation_id}
        kwargs = {k: v for k, v in call.send_kwargs.items() if v is not None}
        timeout = kwargs.pop("timeout", httpx.USE_CLIENT_DEFAULT)
        return self.http.build_request(call.method, call.path, headers=headers, timeout=timeout, **kwargs)

    def _exchange(self, call: _Call, request: httpx.Request) -> httpx.Response:
        """Send, read the body, count it, log it; transport failures become `TransientError`."""
        if log.isEnabledFor(logging.DEBUG):
            body = call.send_kwargs.get("json")
            log.debug(
                "%s: -> %s %s attempt=%d correlation_id=%s headers=%s%s",
                self.system,
                request.method,
                redact_url(request.url),
                call.attempt,
                call.correlation_id,
                redact_headers(request.headers, self.policy.secret_headers),
                f" json={jsonlib.dumps(redact_mapping(body), default=str)[:1000]}" if body is not None else "",
            )
        sent = len(request.content) if hasattr(request, "_content") else 0
        started = time.monotonic()
        try:
            response = self.http.send(request)
        except httpx.TransportError as exc:
            self.metrics.record_attempt(
                call.method, call.route, type(exc).__name__, time.monotonic() - started, sent, 0
            )
            err = TransientError(
                self.system,
                f"{type(exc).__name__}: {scrub(str(exc)) or 'no detail'}",
                code=type(exc).__name__,
                method=call.method,
                route=call.route,
            )
            err.may_retry = call.retry_safe or isinstance(exc, _NOT_SENT)
            raise err from None
        elapsed = time.monotonic() - started
        self.metrics.record_attempt(call.method, call.route, response.status_code, elapsed, sent, len(response.content))
        if self._quota is not None:
            pause = self._quota.observe(response.headers)
            if pause:
                log.info(
                    "%s: quota exhausted, pausing %.3fs correlation_id=%s", self.system, pause, call.correlation_id
                )
        log.debug(
            "%s: <- %s %s %d in %.3fs request_id=%s correlation_id=%s",
            self.system,
            request.method,
            call.route,
            response.status_code,
            elapsed,
            self._request_id(response),
            call.correlation_id,
        )
        return response

    def _request_id(self, response: httpx.Response) -> str | None:
        for name in self.policy.request_id_headers:
            value = response.headers.get(name)
            if value:
                return value
        return None

    def _error(self, call: _Call, response: httpx.Response) -> ApiError:
        status = response.status_code
        try:
            code, message = self.error_parser(response)
        except Exception as exc:  # a broken parser must not hide the HTTP failure itself
            code, message = None, f"(error body unreadable: {type(exc).__name__}) {response.text[:200]}"
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if status in (429, 503) else None
        err = error_class_for(status)(
            self.system,
            scrub(message or response.reason_phrase or f"HTTP {status}"),
            status=status,
            code=code,
            request_id=self._request_id(response),
            method=call.method,
            route=call.route,
            retry_after_s=retry_after,
        )
        rp = self.policy.retry
        err.may_retry = call.retry_safe and (
            status in rp.retry_statuses or (status in rp.read_retry_statuses and call.method in READ_METHODS)
        )
        return err
