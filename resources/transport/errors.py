"""Typed errors for every outside-system call: retryable vs fatal, with the system's own code and message.

Callers catch by family (`RetryableError` -> dead letter with retry, `FatalError` -> dead letter for a
person) or by kind (`NotFoundError`, `ConflictError`, ...). Every error names the system, the HTTP method
and route template, and carries the system's request id so a support ticket can quote it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import httpx

ErrorParser = Callable[[httpx.Response], tuple[str | None, str | None]]


class ApiError(Exception):
    """Base of all transport errors. `status` is None when no HTTP answer arrived (timeouts, refused)."""

    retryable: bool = False
    # Set by the client: whether THIS request may be retried now (depends on method/idempotency too).
    may_retry: bool = False
    # Set by the client once it gives up: attempts sent, seconds spent, why retrying stopped.
    attempts: int | None = None
    elapsed_s: float | None = None
    gave_up_because: str | None = None

    def __init__(
        self,
        system: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        route: str | None = None,
        retryable: bool | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        self.system = system
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.method = method
        self.route = route
        self.retry_after_s = retry_after_s
        if retryable is not None:
            self.retryable = retryable
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.route}" if self.method else "request"
        parts = [f"{self.system}: {where} failed"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        text = ", ".join(parts) + f": {self.message}"
        if self.gave_up_because:
            text += f" (gave up after {self.attempts} attempt(s) in {self.elapsed_s:.1f} s: {self.gave_up_because})"
        return text

    def as_dict(self) -> dict[str, object]:
        """Plain fields for a dead letter or asset metadata."""
        return {
            "type": type(self).__name__,
            "system": self.system,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
            "method": self.method,
            "route": self.route,
            "retryable": self.retryable,
            "attempts": self.attempts,
            "elapsed_s": self.elapsed_s,
        }


class RetryableError(ApiError):
    """Trying again later may succeed."""

    retryable = True


class FatalError(ApiError):
    """Trying again unchanged will fail the same way."""

    retryable = False


class TransientError(RetryableError):
    """5xx, connection errors and timeouts that outlasted the retries."""


class ServiceUnavailableError(TransientError):
    """503 (maintenance, overload) that outlasted the retries."""


class RateLimitedError(RetryableError):
    """429 that outlasted the retries."""


class AuthError(FatalError):
    """401/403 even after renewing credentials, or the token/login endpoint refused us."""


class NotFoundError(FatalError):
    """404."""


class ConflictError(FatalError):
    """409: the record changed or exists already."""


class PreconditionFailedError(FatalError):
    """412 (stale ETag / If-Match) or 428 (the system demands a precondition)."""


class ValidationError(FatalError):
    """400/422: the system rejected the payload; `code`/`message` are the system's own."""


class ClientError(FatalError):
    """Any other 4xx."""


_FATAL_BY_STATUS: dict[int, type[FatalError]] = {
    400: ValidationError,
    422: ValidationError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    428: PreconditionFailedError,
}


def error_class_for(status: int) -> type[ApiError]:
    """The error type for an HTTP status that was not (or no longer) retried."""
    if status == 429:
        return RateLimitedError
    if status == 503:
        return ServiceUnavailableError
    if status >= 500:
        return TransientError
    return _FATAL_BY_STATUS.get(status, ClientError)


def _first_text(value: object) -> str | None:
    return None if value is None else str(value)


def _from_error_object(err: object) -> tuple[str | None, str | None]:
    if isinstance(err, dict):
        code = err.get("code") or err.get("errorCode") or err.get("error")
        message = err.get("message") or err.get("description") or err.get("error_description")
        if isinstance(message, dict):  # SAP OData v2: {"error": {"code":..., "message": {"value": ...}}}
            message = message.get("value")
        return _first_text(code), _first_text(message)
    return None, _first_text(err)


def default_error_parser(response: httpx.Response) -> tuple[str | None, str | None]:
    """Handle `{"error": ...}`, `{"errors": [...]}`, `{"code","message"}` and plain text bodies."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        text = response.text.strip()
        return None, (text[:500] or response.reason_phrase or None)
    if isinstance(body, dict):
        if "errors" in body and isinstance(body["errors"], Sequence) and body["errors"]:
            first = body["errors"][0]
            code, message = _from_error_object(first)
            return code, message
        if "error" in body:
            code, message = _from_error_object(body["error"])
            if isinstance(body["error"], str):  # OAuth style: {"error": "invalid_grant", "error_description"}
                code, message = body["error"], _first_text(body.get("error_description")) or body["error"]
            return code, message
        if "code" in body or "message" in body:
            return _from_error_object(body)
    return None, json.dumps(body)[:500]
