"""Who may call: OAuth 2.0 client credentials (bearer tokens), HTTP Basic users, and SAP's CSRF tokens."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from sandbox.erp.errors import UNAUTHORIZED, ODataError

SESSION_COOKIE = "SAP_SESSIONID_S4H_100"
WRITE_METHODS = {"POST", "PUT", "PATCH", "MERGE", "DELETE"}
SCOPE = (
    "API_PRODUCT_SRV_0001 API_BILL_OF_MATERIAL_SRV_0002 API_RESERVATION_DOCUMENT_SRV_0001 "
    "API_MATERIAL_DOCUMENT_SRV_0001 API_MATERIAL_STOCK_SRV_0001 API_EQUIPMENT_0001 API_MAINTENANCEORDER_0002"
)


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    username: str
    password: str


@dataclass
class Security:
    """Issued tokens and CSRF sessions live in memory: a restart logs every client out, as SAP's does."""

    credentials: Credentials
    token_lifetime_s: float
    csrf_lifetime_s: float
    _tokens: dict[str, float] = field(default_factory=dict)
    _csrf: dict[str, tuple[str, float]] = field(default_factory=dict)  # session id -> (token, expiry)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client_ok(self, client_id: str, client_secret: str) -> bool:
        c = self.credentials
        return hmac.compare_digest(client_id, c.client_id) and hmac.compare_digest(client_secret, c.client_secret)

    def issue_token(self) -> dict[str, object]:
        token = secrets.token_urlsafe(32)
        lifetime = self.token_lifetime_s
        with self._lock:
            self._tokens[token] = time.monotonic() + lifetime
        return {"access_token": token, "token_type": "bearer", "expires_in": max(1, round(lifetime)), "scope": SCOPE}

    def authenticate(self, authorization: str) -> str:
        """The caller's name, or a 401 for a missing, wrong or expired credential."""
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value:
            with self._lock:
                expiry = self._tokens.get(value.strip())
            if expiry is None or expiry <= time.monotonic():
                raise ODataError(
                    401,
                    UNAUTHORIZED,
                    "Access token is invalid or expired",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            return self.credentials.client_id
        if scheme.lower() == "basic" and value:
            user, password = decode_basic(value)
            c = self.credentials
            if hmac.compare_digest(user, c.username) and hmac.compare_digest(password, c.password):
                return user
        raise ODataError(
            401,
            UNAUTHORIZED,
            "Logon failed: provide a bearer token or valid Basic credentials",
            headers={"WWW-Authenticate": 'Basic realm="SAP NetWeaver Application Server [S4H/100]"'},
        )

    def fetch_csrf(self, session: str | None) -> tuple[str, str]:
        """(token, session id): the session's live token, or a new session with a fresh token."""
        now = time.monotonic()
        with self._lock:
            if session and session in self._csrf and self._csrf[session][1] > now:
                return self._csrf[session][0], session
            session = secrets.token_urlsafe(24)
            token = base64.b64encode(secrets.token_bytes(18)).decode()
            self._csrf[session] = (token, now + self.csrf_lifetime_s)
        return token, session

    def expire_tokens(self) -> int:
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0
            return len(self._tokens)

    def expire_csrf(self) -> int:
        """The sessions stay known, so a client's next write sees 'token expired', not 'unknown session'."""
        with self._lock:
            for session, (token, _) in self._csrf.items():
                self._csrf[session] = (token, 0.0)
            return len(self._csrf)

    def csrf_valid(self, token: str | None, session: str | None) -> bool:
        if not token or not session:
            return False
        with self._lock:
            entry = self._csrf.get(session)
        return entry is not None and entry[1] > time.monotonic() and hmac.compare_digest(entry[0], token)


def decode_basic(value: str) -> tuple[str, str]:
    try:
        user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password
