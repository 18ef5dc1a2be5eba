"""Arena-shaped errors and quota headers: `{"status": n, "errors": [{"code": c, "message": m}]}`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from starlette.responses import JSONResponse, Response

# Arena's documented codes where it has one; otherwise the HTTP status doubles as the code, as Arena does
# for its generic failures (e.g. {"code": 400, "message": "The format of the request is not valid..."}).
BAD_FORMAT = 400
INVALID_GUID = 3011
BAD_LOGIN = 4001
ALREADY_IN_CHANGE = 4005
IN_ANOTHER_CHANGE = 4007
CHANGE_LOCKED = 4020


class ApiError(Exception):
    """Raised by handlers; rendered as Arena's error body."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code if code is not None else status


def error_response(status: int, message: str, code: int | None = None) -> Response:
    """The body Arena sends for a failed request (also used for injected faults)."""
    body = {"status": status, "errors": [{"code": code if code is not None else status, "message": message}]}
    return JSONResponse(body, status_code=status)


def invalid_guid(guid: str) -> ApiError:
    return ApiError(400, f'The guid "{guid}" is not valid.', INVALID_GUID)


def rate_limit_headers(limit: int, remaining: int, seconds_to_reset: float) -> dict[str, str]:
    """Arena reports its quota as requests remaining and the date the count resets."""
    reset_at = datetime.now(UTC) + timedelta(seconds=seconds_to_reset)
    return {
        "X-Arena-Requests-Remaining": str(remaining),
        "X-Arena-Next-Request-Limit-Reset": format_datetime(reset_at, usegmt=True),
    }
