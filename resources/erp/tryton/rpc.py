"""Tryton JSON-RPC over the shared transport: session login, value encodings, typed errors, counted calls.

Wire format (trytond 8.2): `POST /<database>/rpc/` with `{"method": ..., "params": [...], "id": n}`;
`common.db.login` with `[user, {"password": pw}, language]` answers `[uid, session, ...]`, then every
call carries `Authorization: Session base64(user:uid:session)`. Model methods are `model.<name>.<method>`
with params `[args..., context]`. Decimals travel as `{"__class__": "Decimal", "decimal": "1.5"}`, dates as
`{"__class__": "date", "year", "month", "day"}`. An answer with `"error": [kind, detail]` is a failed call
(HTTP 200); HTTP 401 is an expired session (the login hook renews it once), 503 a busy server.
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from resources.transport import (
    ApiClient,
    ApiError,
    AuthError,
    ClientError,
    ConflictError,
    RateLimitedError,
    SessionLogin,
    TransientError,
    ValidationError,
)

SYSTEM = "tryton"
# Calls that change nothing may be resent after a lost answer; writes never are (look before writing again).
READ_METHODS = frozenset({"read", "search", "search_read", "search_count", "fields_get", "default_get"})
WRITE_METHODS = frozenset({"create", "write", "delete", "copy"})


def encode(value: Any) -> Any:
    """Python values -> Tryton's JSON (Decimal, date and datetime as tagged objects)."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime):
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """Tryton's JSON -> Python values (the inverse of `encode`)."""
    if isinstance(value, dict):
        kind = value.get("__class__")
        if kind == "Decimal":
            return Decimal(value["decimal"])
        if kind == "date":
            return date(value["year"], value["month"], value["day"])
        if kind == "datetime":
            return datetime(
                value["year"],
                value["month"],
                value["day"],
                value.get("hour", 0),
                value.get("minute", 0),
                value.get("second", 0),
                value.get("microsecond", 0),
            )
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


KNOWN_KINDS: dict[str, type[ApiError]] = {
    **dict.fromkeys(
        (
            "UserError",
            "UserWarning",
            "DomainValidationError",
            "RequiredValidationError",
            "DigitsValidationError",
            "AccessError",
        ),
        ValidationError,
    ),
    "ConcurrencyException": ConflictError,
    "LoginException": AuthError,
    "NotLogged": AuthError,
    "RateLimitException": RateLimitedError,
    "DatabaseOperationalError": TransientError,
    "TimeoutException": TransientError,
}


def error_for(method: str, error: Any) -> ApiError:
    """A Tryton error answer `[kind, detail]` -> a typed error with Tryton's own kind (code) and message.
    Tryton's own exceptions name their kind; any other server exception answers its text instead."""
    parts = error if isinstance(error, list) and error else [error]
    kind = str(parts[0]).strip("'")
    detail = parts[1] if len(parts) > 1 else None
    text = str(detail[0]) if isinstance(detail, list) and detail else str(detail or "")
    if kind in KNOWN_KINDS:
        return KNOWN_KINDS[kind](SYSTEM, text or kind, status=200, code=kind, method="POST", route=method)
    # an unknown model/method, or a server-side exception: resending the same call cannot help
    return ClientError(
        SYSTEM, f"{kind}: {text}" if text else kind, status=200, code="ServerException", method="POST", route=method
    )


def _post_rpc(http: httpx.Client, path: str, method: str, params: list[Any]) -> Any:
    response = http.post(path, json={"method": method, "params": params, "id": 0})
    if response.status_code in (401, 403):  # Tryton's answer to a refused login
        return {"error": ["LoginException", [f"wrong user or password (HTTP {response.status_code})"]]}
    response.raise_for_status()
    return response.json()


class TrytonSession(SessionLogin):
    """`common.db.login` on first use and after a 401; `common.db.logout` on close."""

    def __init__(self, database: str, user: str, password: str, language: str = "en") -> None:
        self.database, self.user = database, user
        self._password, self._language = password, language
        super().__init__(self._open, self._close)

    def _open(self, http: httpx.Client) -> tuple[str, str]:
        body = _post_rpc(
            http, f"/{self.database}/rpc/", "common.db.login", [self.user, {"password": self._password}, self._language]
        )
        result = body.get("result")
        if "error" in body or not isinstance(result, list) or len(result) < 2:
            err = error_for("common.db.login", body.get("error") or "LoginException")
            raise AuthError(
                SYSTEM,
                f"login of {self.user!r} to database {self.database!r} refused: {err.message}",
                status=200,
                code=err.code,
                method="POST",
                route="common.db.login",
            )
        token = base64.b64encode(f"{self.user}:{result[0]}:{result[1]}".encode()).decode("ascii")
        return "Authorization", f"Session {token}"

    def _close(self, http: httpx.Client, headers: dict[str, str]) -> None:
        http.post(f"/{self.database}/rpc/", json={"method": "common.db.logout", "params": [], "id": 0}, headers=headers)

    def __repr__(self) -> str:
        return f"TrytonSession({self.database!r}, {self.user!r}, ***)"


class TrytonRPC:
    """One Tryton database over an `ApiClient`; thread-safe. `call()` returns the decoded result."""

    def __init__(self, api: ApiClient, database: str, context: dict[str, Any] | None = None) -> None:
        self.api, self.database = api, database
        self.context = dict(context or {})
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def call(
        self, method: str, *params: Any, retry_safe: bool | None = None, context: dict[str, Any] | None = None
    ) -> Any:
        """`call("model.product.product.search_read", domain, 0, None, None, fields)`; the context (the
        client's, updated by `context`) is added to model calls. Raises a typed `ApiError` for an error answer."""
        args = list(params)
        if method.startswith("model."):
            args.append({**self.context, **(context or {})})
        with self._lock:
            call_id = next(self._ids)
        safe = retry_safe if retry_safe is not None else method.rsplit(".", 1)[-1] in READ_METHODS
        response = self.api.post(
            f"/{self.database}/rpc/",
            route=method,
            idempotent=safe,
            json={"method": method, "params": encode(args), "id": call_id},
        )
        body = response.json()
        if "error" in body and body["error"] is not None:
            self.api.metrics.event("rpc_error")
            raise error_for(method, body["error"])
        return decode(body.get("result"))

    def model(self, model: str, method: str, *params: Any, context: dict[str, Any] | None = None) -> Any:
        return self.call(f"model.{model}.{method}", *params, context=context)

    def search_read(
        self, model: str, domain: list, fields: Sequence[str], *, order: list | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self.model(model, "search_read", domain, 0, limit, order, list(fields))

    def server_version(self) -> str:
        """`common.server.version` (served without a database, so no session)."""
        response = self.api.post(
            "/rpc/",
            route="common.server.version",
            idempotent=True,
            json={"method": "common.server.version", "params": [], "id": 0},
        )
        body = response.json()
        if body.get("error"):
            raise error_for("common.server.version", body["error"])
        return str(body.get("result"))


def chunked(rows: Sequence[Any], size: int, weight: Callable[[Any], int] = lambda _: 1) -> list[list[Any]]:
    """Split `rows` into runs whose total weight stays within `size` (a heavier single row goes alone)."""
    out: list[list[Any]] = []
    run: list[Any] = []
    total = 0
    for row in rows:
        w = weight(row)
        if run and total + w > size:
            out.append(run)
            run, total = [], 0
        run.append(row)
        total += w
    if run:
        out.append(run)
    return out
