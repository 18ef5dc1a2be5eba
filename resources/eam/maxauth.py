"""Maximo's maxauth login for the `oslc` root: the callables `SessionLogin` uses to open and close a session.

Login answers with the `JSESSIONID` cookie, which the transport hook then sends on every request.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import httpx

from resources.eam.maximo_errors import maximo_error_parser
from resources.transport import AuthError
from resources.transport.errors import error_class_for
from resources.transport.redact import correlation_id_var, register_secret

SESSION_COOKIE = "JSESSIONID"


@dataclass
class MaxauthSession:
    """Login/logout callables for `SessionLogin`: `maxauth: base64(user:password)` -> the session cookie."""

    username: str
    password: str
    correlation_header: str = "X-Correlation-ID"
    _maxauth: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._maxauth = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        register_secret(self._maxauth)

    def login(self, http: httpx.Client) -> tuple[str, str]:
        cid = correlation_id_var.get()
        response = http.post("/maximo/oslc/login", headers={"maxauth": self._maxauth, self.correlation_header: cid})
        if response.status_code >= 400:
            code, message = maximo_error_parser(response)
            retryable = response.status_code == 429 or response.status_code >= 500
            cls = error_class_for(response.status_code) if retryable else AuthError
            err = cls(
                "eam",
                f"login refused: {message}",
                status=response.status_code,
                code=code,
                method="POST",
                route="/maximo/oslc/login",
            )
            err.may_retry = retryable
            raise err
        session = response.cookies.get(SESSION_COOKIE) or http.cookies.get(SESSION_COOKIE)
        if not session:
            raise AuthError(
                "eam",
                "login answered without a session cookie",
                status=response.status_code,
                method="POST",
                route="/maximo/oslc/login",
            )
        http.cookies.clear()  # the hook sends the cookie itself, so a renewed session replaces the old one
        return "Cookie", f"{SESSION_COOKIE}={session}"

    def logout(self, http: httpx.Client, headers: dict[str, str]) -> None:
        http.post("/maximo/oslc/logout", headers=headers)
