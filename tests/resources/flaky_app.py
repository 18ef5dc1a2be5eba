"""A small, honest test server for the transport layer: scripted faults, an OAuth2 token endpoint,
an Arena-style session login, quota headers and SAP-style CSRF - all over real HTTP.

Tests build one app per test with `make_flaky_app()`, program `app.state.flaky` directly (same process)
and serve it with `sandbox.server.serving(app)`.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Scripted:
    """One programmed answer: status, headers, JSON body, a delay before answering, a slow body."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay_s: float = 0.0
    slow_body_s: float = 0.0


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the server received it
    body: bytes


@dataclass
class FlakyState:
    """Everything the server knows and does; tests set fields and call `script()`."""

    auth_mode: str | None = None  # None | "bearer" | "session" | "basic" | "apikey"
    client_id: str = "mfg-sync"
    client_secret: str = "cs-" + "s3cr3t-client-secret"
    token_ttl_s: int = 3600
    refuse_tokens: bool = False
    basic_user: str = "erp-user"
    basic_password: str = "Pa55word-erp"
    api_key_header: str = "X-API-Key"
    api_key: str = "ak-live-0123456789"
    login_password: str = "arena-pw-9876"
    quota_remaining: int | None = None
    quota_reset_s: float = 1.0
    csrf_required: bool = False
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expires (monotonic)
    refresh_tokens: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    csrf_tokens: set[str] = field(default_factory=set)
    hits: list[Hit] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    logins: int = 0
    logouts: int = 0
    _scripts: dict[str, deque[Scripted]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, path: str, *answers: Scripted | int) -> None:
        """Queue answers for `path` (e.g. "/api/items"); ints are bare statuses. Then 200s."""
        queue = self._scripts.setdefault(path, deque())
        queue.extend(a if isinstance(a, Scripted) else Scripted(status=a) for a in answers)

    def next_answer(self, path: str) -> Scripted | None:
        with self.lock:
            queue = self._scripts.get(path)
            return queue.popleft() if queue else None

    def issue_refresh_token(self) -> str:
        token = "rt-" + secrets.token_urlsafe(16)
        self.refresh_tokens.add(token)
        return token

    def revoke_all(self) -> None:
        """Invalidate every access token and session (server restart, admin action)."""
        self.tokens.clear()
        self.sessions.clear()

    def hits_for(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]


def _authorized(state: FlakyState, request: Request) -> bool:
    mode, headers = state.auth_mode, request.headers
    if mode is None:
        return True
    if mode == "bearer":
        auth = headers.get("authorization", "")
        expires = state.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        return expires is not None and expires > time.monotonic()
    if mode == "session":
        return headers.get("arena_session_id") in state.sessions
    if mode == "basic":
        expected = base64.b64encode(f"{state.basic_user}:{state.basic_password}".encode()).decode()
        return headers.get("authorization") == f"Basic {expected}"
    if mode == "apikey":
        return headers.get(state.api_key_header) == state.api_key
    raise ValueError(f"unknown auth_mode {mode!r}")


def _quota_headers(state: FlakyState) -> dict[str, str]:
    if state.quota_remaining is None:
        return {}
    with state.lock:
        state.quota_remaining = max(0, state.quota_remaining - 1)
        remaining = state.quota_remaining
    return {"X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(state.quota_reset_s)}


async def _scripted_response(answer: Scripted, extra_headers: dict[str, str]) -> Response:
    if answer.delay_s:
        await asyncio.sleep(answer.delay_s)
    headers = {"x-request-id": "req-" + secrets.token_hex(4), **extra_headers, **answer.headers}
    if answer.slow_body_s:

        async def trickle():
            for chunk in (b'{"slow": ', b"true}"):
                await asyncio.sleep(answer.slow_body_s)
                yield chunk

        return StreamingResponse(trickle(), status_code=answer.status, headers=headers, media_type="application/json")
    if isinstance(answer.body, str):
        return Response(answer.body, status_code=answer.status, headers=headers, media_type="text/plain")
    return JSONResponse(
        answer.body if answer.body is not None else {"status": answer.status},
        status_code=answer.status,
        headers=headers,
    )


async def api(request: Request) -> Response:
    state: FlakyState = request.app.state.flaky
    body = await request.body()
    with state.lock:
        state.hits.append(Hit(request.method, request.url.path, dict(request.headers), time.monotonic(), body))
    quota = _quota_headers(state)
    answer = state.next_answer(request.url.path)
    if answer is not None:
        return await _scripted_response(answer, quota)
    if not _authorized(state, request):
        return JSONResponse({"errors": [{"code": 401, "message": "not authenticated"}]}, 401, headers=quota)
    csrf_missing = request.headers.get("x-csrf-token") not in state.csrf_tokens
    if state.csrf_required and request.method not in ("GET", "HEAD") and csrf_missing:
        return Response("CSRF token validation failed", 403, headers={"X-CSRF-Token": "Required", **quota})
    headers = dict(quota)
    if state.csrf_required and request.headers.get("x-csrf-token", "").lower() == "fetch":
        token = "csrf-" + secrets.token_hex(8)
        state.csrf_tokens.add(token)
        headers["X-CSRF-Token"] = token
        headers["Set-Cookie"] = f"SAP_SESSIONID_TST={secrets.token_hex(8)}; Path=/; HttpOnly"
    payload = {"method": request.method, "path": request.url.path, "query": str(request.url.query)}
    return JSONResponse(payload, headers={"x-request-id": "req-" + secrets.token_hex(4), **headers})


async def token(request: Request) -> Response:
    state: FlakyState = request.app.state.flaky
    # urlencoded by hand: starlette's form parser needs python-multipart, which the project does not ship
    form = dict(parse_qsl((await request.body()).decode()))
    state.token_requests.append({k: str(v) for k, v in form.items()})
    expected = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode()).decode()
    if state.refuse_tokens or request.headers.get("authorization") != f"Basic {expected}":
        return JSONResponse({"error": "invalid_client", "error_description": "client authentication failed"}, 401)
    grant = form.get("grant_type")
    if grant == "refresh_token":
        if form.get("refresh_token") not in state.refresh_tokens:
            return JSONResponse({"error": "invalid_grant", "error_description": "refresh token unknown"}, 400)
        state.refresh_tokens.discard(str(form["refresh_token"]))  # rotation: each refresh token works once
    elif grant != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, 400)
    access = "at-" + secrets.token_urlsafe(16)
    state.tokens[access] = time.monotonic() + state.token_ttl_s
    answer = {"access_token": access, "token_type": "Bearer", "expires_in": state.token_ttl_s}
    if grant == "refresh_token":
        answer["refresh_token"] = state.issue_refresh_token()
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


async def login(request: Request) -> Response:
    state: FlakyState = request.app.state.flaky
    creds = await request.json()
    if creds.get("password") != state.login_password:
        return JSONResponse({"errors": [{"code": 1000, "message": "bad credentials"}]}, 401)
    session = "sess-" + secrets.token_urlsafe(12)
    state.sessions.add(session)
    state.logins += 1
    return JSONResponse({"arenaSessionId": session, "workspaceId": 1})


async def logout(request: Request) -> Response:
    state: FlakyState = request.app.state.flaky
    state.sessions.discard(request.headers.get("arena_session_id", ""))
    state.logouts += 1
    return Response(status_code=200)


def make_flaky_app(**settings: Any) -> Starlette:
    """A fresh app with its own `FlakyState(**settings)` at `app.state.flaky`."""
    app = Starlette(
        routes=[
            Route("/oauth/token", token, methods=["POST"]),
            Route("/v1/login", login, methods=["POST"]),
            Route("/v1/logout", logout, methods=["PUT"]),
            Route("/api/{rest:path}", api, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        ]
    )
    app.state.flaky = FlakyState(**settings)
    return app
