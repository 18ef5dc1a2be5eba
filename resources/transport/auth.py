"""Pluggable auth strategies, each a `RequestHook` (hooks.py) written against the `HookClient` view.

Example - SAP's CSRF dance, written by the ERP client on top of the same protocol::

    class SapCsrf(HookBase):
        def __init__(self, fetch_path: str) -> None:
            self._lock, self._token, self._fetch_path = threading.Lock(), None, fetch_path

        def _fetch(self, client: HookClient) -> str:
            # one plain exchange: rate limit + auth, no retries; the session cookie lands in client.http
            resp = client.send_once("GET", self._fetch_path, headers={"X-CSRF-Token": "Fetch"})
            token = resp.headers["X-CSRF-Token"]
            register_secret(token)
            return token

        def before_send(self, client, request):
            if request.method in ("GET", "HEAD", "OPTIONS"):
                return
            with self._lock:
                self._token = self._token or self._fetch(client)
                request.headers["X-CSRF-Token"] = self._token

        def after_response(self, client, request, response):
            if response.status_code == 403 and response.headers.get("X-CSRF-Token", "").lower() == "required":
                with self._lock:
                    if self._token == request.headers.get("X-CSRF-Token"):
                        self._token = None  # before_send of the resend fetches a fresh one
                return True
            return False

    client = ApiClient("erp", url, auth=BasicAuth(user, pw), hooks=[SapCsrf("/sap/opu/odata/sap/API_PRODUCT_SRV/")])
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from .errors import ApiError, AuthError, TransientError
from .hooks import HookBase, HookClient, RequestHook
from .redact import register_secret, scrub

__all__ = [
    "ApiKeyHeader",
    "BasicAuth",
    "HookBase",
    "NoAuth",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "RequestHook",
    "SessionLogin",
]

log = logging.getLogger("resources.transport")


class NoAuth(HookBase):
    """The system needs no credentials (sandbox, internal services)."""


class BasicAuth(HookBase):
    """HTTP Basic: sent on every request; a 401 is final (the password does not renew)."""

    def __init__(self, username: str, password: str) -> None:
        self._value = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        register_secret(password)
        register_secret(self._value.split(" ", 1)[1])

    def before_send(self, client: HookClient, request: httpx.Request) -> None:
        request.headers["Authorization"] = self._value

    def __repr__(self) -> str:
        return "BasicAuth(***)"


class ApiKeyHeader(HookBase):
    """A static API key in a header of the system's choosing."""

    def __init__(self, header: str, key: str) -> None:
        self.header, self._key = header, key
        register_secret(key)

    def before_send(self, client: HookClient, request: httpx.Request) -> None:
        request.headers[self.header] = self._key

    def __repr__(self) -> str:
        return f"ApiKeyHeader({self.header!r}, ***)"


def _auth_failure(client: HookClient, what: str, exc: Exception) -> ApiError:
    """Turn a token/login failure into a typed error: unreachable or 429/5xx -> transient, refused -> auth."""
    if isinstance(exc, httpx.TransportError):
        err: ApiError = TransientError(
            client.system,
            f"{what} unreachable: {type(exc).__name__}: {scrub(str(exc))}",
            code=type(exc).__name__,
            method="POST",
            route=what,
        )
        err.may_retry = True
        return err
    status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else None
    if status is not None and (status == 429 or status >= 500):  # the endpoint is busy or down, not refusing us
        err = TransientError(
            client.system, f"{what} answered {status}", status=status, code=str(status), method="POST", route=what
        )
        err.may_retry = True
        return err
    code = getattr(exc, "error", None) or type(exc).__name__
    message = getattr(exc, "description", None) or str(exc)
    return AuthError(
        client.system,
        f"{what} refused: {scrub(str(message))}",
        status=status,
        code=str(code),
        route=what,
        method="POST",
    )


class _OAuth2Base(HookBase):
    """Shared machinery: one authlib `OAuth2Client` (its own small httpx client) behind a lock."""

    grant_type = ""

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, scope: str | None = None, leeway_s: float = 30.0
    ) -> None:
        self.token_url, self.client_id, self.scope, self.leeway_s = token_url, client_id, scope, leeway_s
        self._client_secret = client_secret
        register_secret(client_secret)
        self._lock = threading.Lock()
        self._oauth: OAuth2Client | None = None

    def _session(self, client: HookClient) -> OAuth2Client:
        if self._oauth is None:
            t = client.policy.timeouts
            self._oauth = OAuth2Client(
                client_id=self.client_id,
                client_secret=self._client_secret,
                scope=self.scope,
                leeway=int(self.leeway_s),
                token_endpoint=self.token_url,
                grant_type=self.grant_type,
                timeout=httpx.Timeout(connect=t.connect_s, read=t.read_s, write=t.write_s, pool=t.pool_s),
                verify=client.policy.verify_tls,
                update_token=self._on_token,
                **({"token": self._initial_token()} if self._initial_token() else {}),
            )
        return self._oauth

    def _initial_token(self) -> dict[str, Any] | None:
        return None

    def _on_token(self, token: dict[str, Any], **_: Any) -> None:
        register_secret(token.get("access_token"))
        register_secret(token.get("refresh_token"))

    def _renew(self, client: HookClient, oauth: OAuth2Client) -> None:
        raise NotImplementedError

    def _renew_logged(self, client: HookClient, oauth: OAuth2Client, why: str) -> None:
        started = time.monotonic()
        try:
            self._renew(client, oauth)
        except (OAuthError, httpx.HTTPError, ValueError) as exc:
            _count_exchange(client, "POST", "(token endpoint)", started)
            raise _auth_failure(client, "token endpoint", exc) from None
        _count_exchange(client, "POST", "(token endpoint)", started)
        self._on_token(dict(oauth.token or {}))
        client.metrics.event("token_fetch")
        log.info(
            "%s: OAuth2 %s token obtained (%s), expires_in=%s",
            client.system,
            self.grant_type,
            why,
            (oauth.token or {}).get("expires_in"),
        )

    def before_send(self, client: HookClient, request: httpx.Request) -> None:
        with self._lock:
            oauth = self._session(client)
            token = oauth.token
            if not token or not token.get("access_token"):
                self._renew_logged(client, oauth, "first use")
            elif token.is_expired(leeway=oauth.leeway):
                self._renew_logged(client, oauth, "near expiry")
            access = oauth.token["access_token"]
        request.headers["Authorization"] = f"Bearer {access}"

    def after_response(self, client: HookClient, request: httpx.Request, response: httpx.Response) -> bool:
        if response.status_code != 401:
            return False
        with self._lock:
            oauth = self._session(client)
            current = (oauth.token or {}).get("access_token")
            # Another thread may have renewed already; only renew if the rejected token is still current.
            if request.headers.get("Authorization") == f"Bearer {current}":
                self._renew_logged(client, oauth, "rejected with 401")
        return True

    def close(self, client: HookClient) -> None:
        with self._lock:
            if self._oauth is not None:
                self._oauth.close()
                self._oauth = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token_url={self.token_url!r}, client_id={self.client_id!r}, ***)"


# Client-credentials tokens per (token URL, client, secret digest, scope), shared by every client of the
# process: the steps of one run (and runs in one process) reuse a live token instead of fetching their own.
_TOKENS: dict[tuple[str, str, str, str | None], dict[str, Any]] = {}
_TOKENS_LOCK = threading.Lock()


class OAuth2ClientCredentials(_OAuth2Base):
    """Client-credentials grant through authlib; the token is reused until `leeway_s` before expiry, by
    every client of the process with the same endpoint and credentials (a 401 still renews it)."""

    grant_type = "client_credentials"

    def _cache_key(self) -> tuple[str, str, str, str | None]:
        digest = hashlib.sha256(self._client_secret.encode()).hexdigest()
        return (self.token_url, self.client_id, digest, self.scope)

    def _initial_token(self) -> dict[str, Any] | None:
        with _TOKENS_LOCK:
            token = _TOKENS.get(self._cache_key())
        if token is None:
            return None
        expires_at = token.get("expires_at")
        if expires_at is not None and float(expires_at) - self.leeway_s <= time.time():
            return None  # about to expire: fetch a fresh one rather than start with it
        return dict(token)

    def _on_token(self, token: dict[str, Any], **kwargs: Any) -> None:
        super()._on_token(token, **kwargs)
        if token.get("access_token"):
            with _TOKENS_LOCK:
                _TOKENS[self._cache_key()] = dict(token)

    def _renew(self, client: HookClient, oauth: OAuth2Client) -> None:
        oauth.fetch_token(
            self.token_url,
            grant_type="client_credentials",
            headers={"Accept": "application/json", client.policy.correlation_header: client.current_correlation_id()},
        )


class OAuth2RefreshToken(_OAuth2Base):
    """Refresh-token grant through authlib; a rotated refresh token replaces the old one."""

    grant_type = "refresh_token"

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        scope: str | None = None,
        leeway_s: float = 30.0,
    ) -> None:
        super().__init__(token_url, client_id, client_secret, scope, leeway_s)
        self._refresh_token = refresh_token
        register_secret(refresh_token)

    def _initial_token(self) -> dict[str, Any] | None:
        return {"access_token": "", "refresh_token": self._refresh_token, "token_type": "Bearer", "expires_at": 0}

    def _renew(self, client: HookClient, oauth: OAuth2Client) -> None:
        refresh = (oauth.token or {}).get("refresh_token") or self._refresh_token
        oauth.refresh_token(self.token_url, refresh_token=refresh)


LoginFn = Callable[[httpx.Client], tuple[str, str]]
LogoutFn = Callable[[httpx.Client, dict[str, str]], object]


class SessionLogin(HookBase):
    """Arena-style session: `login(http) -> (header_name, session_value)` on first use and again when the
    server answers 401 (session expired); `logout(http, {header_name: value})` on close."""

    def __init__(self, login: LoginFn, logout: LogoutFn | None = None) -> None:
        self._login, self._logout = login, logout
        self._lock = threading.Lock()
        self._session: tuple[str, str] | None = None

    def _do_login(self, client: HookClient, why: str) -> tuple[str, str]:
        started = time.monotonic()
        try:
            header, value = self._login(client.http)
        except httpx.HTTPError as exc:
            _count_exchange(client, "POST", "(login)", started)
            raise _auth_failure(client, "login", exc) from None
        _count_exchange(client, "POST", "(login)", started)
        register_secret(value)
        client.metrics.event("login")
        log.info("%s: session login (%s)", client.system, why)
        return header, value

    def before_send(self, client: HookClient, request: httpx.Request) -> None:
        with self._lock:
            if self._session is None:
                self._session = self._do_login(client, "first use")
            header, value = self._session
        request.headers[header] = value

    def after_response(self, client: HookClient, request: httpx.Request, response: httpx.Response) -> bool:
        if response.status_code != 401:
            return False
        with self._lock:
            if self._session is not None and request.headers.get(self._session[0]) == self._session[1]:
                self._session = self._do_login(client, "session expired")
        return True

    def close(self, client: HookClient) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None and self._logout is not None:
            started = time.monotonic()
            try:
                self._logout(client.http, {session[0]: session[1]})
                _count_exchange(client, "PUT", "(logout)", started)
                client.metrics.event("logout")
            except httpx.HTTPError as exc:  # a failed logout must not mask the caller's own outcome
                _count_exchange(client, "PUT", "(logout)", started)
                log.warning("%s: logout failed: %s", client.system, scrub(str(exc)))

    def __repr__(self) -> str:
        return "SessionLogin(***)"


def _count_exchange(client: HookClient, method: str, route: str, started: float) -> None:
    """An auth exchange made outside the transport's calls is still a request the system receives."""
    client.metrics.record_auth_exchange(method, route, time.monotonic() - started)
