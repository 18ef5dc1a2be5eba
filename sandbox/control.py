"""Fault injection, call statistics and the `/_sandbox/*` control routes shared by every sandbox system.

A sandbox system builds its Starlette app with `control.routes()` among its routes and returns
`control.wrap(app)`. The wrapper sits outside the app, so injected faults look to a client exactly like
a real outage: nothing of the system runs, and the answer carries the system's own error body.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})


@dataclass
class Faults:
    """What goes wrong, on purpose. All off by default."""

    latency_ms: float = 0  # added to every request
    jitter_ms: float = 0  # plus a uniform random share of this
    error_rate: float = 0  # share of requests answered with error_status
    error_status: int = 503
    outage: bool = False  # every request answered 503
    fail_next: int = 0  # the next N requests fail, then normal again
    fail_next_status: int = 503
    rate_limit: int | None = None  # max requests per window, then 429
    rate_window_s: float = 60.0
    drop_after_commit_next: int = 0  # the next N writes run and commit, then the connection drops unanswered

    def update(self, changes: dict[str, Any]) -> None:
        names = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}; known: {', '.join(names)}")
        for name, value in changes.items():
            setattr(self, name, value)


class _RateWindow:
    """Fixed-window request counter: simple, and what most API gateways report in their headers."""

    def __init__(self) -> None:
        self.window_start = time.monotonic()
        self.count = 0

    def take(self, limit: int, window_s: float) -> tuple[bool, int, float]:
        """Count one request; return (allowed, remaining, seconds until the window resets)."""
        now = time.monotonic()
        if now - self.window_start >= window_s:
            self.window_start, self.count = now, 0
        reset_in = max(0.0, self.window_start + window_s - now)
        if self.count >= limit:
            return False, 0, reset_in
        self.count += 1
        return True, limit - self.count, reset_in


class SandboxControl:
    def __init__(
        self,
        system: str,
        *,
        error_response: Callable[[int, str], Response],
        on_reset: Callable[[dict], None],
        summary: Callable[[], dict],
        rate_limit_headers: Callable[[int, int, float], dict[str, str]] | None = None,
        settings: dict[str, Callable[[Any], None]] | None = None,
        expiries: dict[str, Callable[[], int]] | None = None,
        default_faults: Faults | None = None,
        rng_seed: int = 0,
        not_writes: tuple[str, ...] = (),
    ) -> None:
        self.system = system
        self._error_response = error_response
        self._on_reset = on_reset
        self._summary = summary
        self._rate_limit_headers = rate_limit_headers or _default_rate_limit_headers
        self._settings = dict(settings or {})
        self._expiries = dict(expiries or {})  # credential kind -> expire every live one now, return how many
        self._default_faults = default_faults or Faults()
        self.faults = dataclasses.replace(self._default_faults)
        self._rng = random.Random(rng_seed)
        self._not_writes = frozenset(not_writes)  # POST paths that change nothing (token, login endpoints)
        self._lock = threading.Lock()  # sync endpoints run in a thread pool and call count_write
        self._rate = _RateWindow()
        self._calls: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._writes = 0

    # --- used by the system ---------------------------------------------------------------------
    def count_write(self, n: int = 1) -> None:
        with self._lock:
            self._writes += n

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "system": self.system,
                "calls": dict(sorted(self._calls.items())),
                "calls_total": sum(self._calls.values()),
                "status_counts": dict(sorted(self._statuses.items())),
                "writes": self._writes,
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._calls.clear()
            self._statuses.clear()
            self._writes = 0

    def wrap(self, app: ASGIApp) -> ControlledApp:
        return ControlledApp(self, app)

    def routes(self) -> list[BaseRoute]:
        return [
            Route(f"{CONTROL_PREFIX}/stats", self._get_stats, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/stats/reset", self._post_stats_reset, methods=["POST"]),
            Route(f"{CONTROL_PREFIX}/faults", self._faults_endpoint, methods=["GET", "PUT", "DELETE"]),
            Route(f"{CONTROL_PREFIX}/reset", self._post_reset, methods=["POST"]),
            Route(f"{CONTROL_PREFIX}/settings", self._put_settings, methods=["PUT"]),
            Route(f"{CONTROL_PREFIX}/expire", self._post_expire, methods=["POST"]),
            Route(f"{CONTROL_PREFIX}/summary", self._get_summary, methods=["GET"]),
        ]

    # --- the fault gate ---------------------------------------------------------------------------
    def _injected_fault(self) -> tuple[int, str, dict[str, str]] | None:
        """Decide, under the lock, whether this request fails; returns (status, message, headers)."""
        f = self.faults
        with self._lock:
            if f.outage:
                return 503, f"{self.system} is unavailable (sandbox outage)", {}
            if f.fail_next > 0:
                f.fail_next -= 1
                return f.fail_next_status, f"{self.system} failed this request (sandbox fail_next)", {}
            if f.rate_limit is not None:
                allowed, remaining, reset_in = self._rate.take(f.rate_limit, f.rate_window_s)
                if not allowed:
                    headers = self._rate_limit_headers(f.rate_limit, 0, reset_in)
                    headers["Retry-After"] = str(max(1, math.ceil(reset_in)))
                    return 429, f"rate limit of {f.rate_limit} requests per {f.rate_window_s:g} s exceeded", headers
            if f.error_rate and self._rng.random() < f.error_rate:
                return f.error_status, f"{self.system} failed this request (sandbox error_rate)", {}
        return None

    def _drop_after_commit(self, method: str, path: str) -> bool:
        """Whether this write's answer is lost after the system committed it (counts one of the N)."""
        if method not in WRITE_METHODS or path in self._not_writes:
            return False
        with self._lock:
            if self.faults.drop_after_commit_next > 0:
                self.faults.drop_after_commit_next -= 1
                return True
        return False

    def _quota_headers(self) -> dict[str, str]:
        f = self.faults
        if f.rate_limit is None:
            return {}
        with self._lock:
            remaining = max(0, f.rate_limit - self._rate.count)
            reset_in = max(0.0, self._rate.window_start + f.rate_window_s - time.monotonic())
        return self._rate_limit_headers(f.rate_limit, remaining, reset_in)

    def _delay_s(self) -> float:
        f = self.faults
        if not (f.latency_ms or f.jitter_ms):
            return 0.0
        with self._lock:
            jitter = self._rng.uniform(0, f.jitter_ms) if f.jitter_ms else 0.0
        return (f.latency_ms + jitter) / 1000.0

    def _count_call(self, key: str, status: int) -> None:
        with self._lock:
            self._calls[key] += 1
            self._statuses[str(status)] += 1

    # --- control endpoints ---------------------------------------------------------------------------
    async def _get_stats(self, request: Request) -> Response:
        return JSONResponse(self.stats())

    async def _post_stats_reset(self, request: Request) -> Response:
        self.reset_stats()
        return JSONResponse(self.stats())

    async def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "PUT":
            body = await _json_object(request)
            if isinstance(body, Response):
                return body
            try:
                with self._lock:
                    self.faults.update(body)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        elif request.method == "DELETE":
            with self._lock:
                self.faults = dataclasses.replace(self._default_faults)
        return JSONResponse(dataclasses.asdict(self.faults))

    async def _post_reset(self, request: Request) -> Response:
        body = await _json_object(request, allow_empty=True)
        if isinstance(body, Response):
            return body
        await asyncio.to_thread(self._on_reset, body)
        with self._lock:
            self.faults = dataclasses.replace(self._default_faults)
            self._rate = _RateWindow()
        self.reset_stats()
        return JSONResponse({"reset": True, "summary": self._summary()})

    async def _put_settings(self, request: Request) -> Response:
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        unknown = sorted(set(body) - set(self._settings))
        if unknown:
            return JSONResponse(
                {"error": f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(self._settings))}"},
                status_code=400,
            )
        for name, value in body.items():
            self._settings[name](value)
        return JSONResponse({"updated": sorted(body)})

    async def _post_expire(self, request: Request) -> Response:
        """Expire every live credential of one kind now: tests of renewal need no short lifetimes and sleeps."""
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        kind = body.get("credentials")
        if kind not in self._expiries:
            known = ", ".join(sorted(self._expiries)) or "none"
            return JSONResponse({"error": f"unknown credentials {kind!r}; known: {known}"}, status_code=400)
        expired = await asyncio.to_thread(self._expiries[kind])
        return JSONResponse({"credentials": kind, "expired": expired})

    async def _get_summary(self, request: Request) -> Response:
        return JSONResponse(await asyncio.to_thread(self._summary))


class ControlledApp:
    """The ASGI callable a sandbox system serves: faults and stats around the system's own app.

    Accepts attribute assignment so a system can hang its store on it (`wrapped.sandbox = system`).
    """

    def __init__(self, control: SandboxControl, app: ASGIApp) -> None:
        self.control = control
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        control = self.control
        route_key = f"{scope['method']} {self._route_template(scope)}"
        delay = control._delay_s()
        if delay:
            await asyncio.sleep(delay)
        fault = control._injected_fault()
        if fault is not None:
            status, message, headers = fault
            response = control._error_response(status, message)
            response.headers.update(headers)
            control._count_call(route_key, status)
            await response(scope, receive, send)
            return
        if control._drop_after_commit(scope["method"], scope["path"]):
            await self._run_then_drop(scope, receive, send, route_key)
            return
        quota = control._quota_headers()
        status_seen = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = message["status"]
                if quota:
                    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in quota.items()]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            control._count_call(route_key, status_seen)

    async def _run_then_drop(self, scope: Scope, receive: Receive, send: Send, route_key: str) -> None:
        """The system runs the request to the end (its transaction commits); its answer is thrown away and
        the connection closes after a status line that promises a body never sent, so the client reads no
        answer (a TCP reset between commit and reply, as far as the client can tell)."""
        status_seen = 500

        async def discard(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = message["status"]

        try:
            await self.app(scope, receive, discard)
        finally:
            self.control._count_call(route_key, status_seen)
        # uvicorn closes the connection when an app returns with its response incomplete
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})

    def _route_template(self, scope: Scope) -> str:
        """The matched route's path template, so stats group `/v1/items/{guid}` rather than each guid."""
        return _match_template(getattr(self.app, "routes", []), dict(scope), "") or scope["path"]


def _match_template(routes: list[BaseRoute], scope: dict, prefix: str) -> str | None:
    for route in routes:
        match, child_scope = route.matches(scope)
        if match != Match.FULL:
            continue
        if isinstance(route, Mount):
            inner = {**scope, **child_scope}
            return _match_template(route.routes, inner, prefix + route.path) or prefix + route.path
        return prefix + getattr(route, "path", "")
    return None


def _default_rate_limit_headers(limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(max(0, math.ceil(reset_in))),
    }


async def _json_object(request: Request, allow_empty: bool = False) -> dict | Response:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        return JSONResponse({"error": "expected a JSON object body"}, status_code=400)
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"error": "body is not valid JSON"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "expected a JSON object body"}, status_code=400)
    return body
