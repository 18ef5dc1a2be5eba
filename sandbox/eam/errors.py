"""Maximo-shaped errors: `{"Error": {"message", "reasonCode", "statusCode", "extendedError"}}`."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

# Maximo's own message ids where we know them; the rest are sandbox-assigned in Maximo's BMXAA style
# and listed as such in sandbox/README.md.
NOT_AUTHENTICATED = "BMXAA0021E"  # Maximo's: user name and password combination are not valid
RECORD_EXISTS = "BMXAA4129E"  # Maximo's: record already exists
NOT_FOUND = "BMXAA8727E"  # Maximo's: the resource cannot be found
BAD_QUERY = "BMXAA9366E"  # sandbox-assigned: the oslc query cannot be parsed
BAD_VALUE = "BMXAA4195E"  # Maximo's: a required field/value is missing or invalid
STATUS_NOT_ALLOWED = "BMXAA4590E"  # sandbox-assigned: status change not allowed from the current status
DUPLICATE_TRANSACTION = "BMXAA9549E"  # sandbox-assigned: transactionid already processed
NEGATIVE_BALANCE = "BMXAA1861E"  # sandbox-assigned: the issue would make the current balance negative
NOT_APPROVED = "BMXAA4106E"  # sandbox-assigned: materials cannot be issued to a work order in this status
METHOD_NOT_ALLOWED = "BMXAA9301E"  # sandbox-assigned
SERVER_ERROR = "BMXAA0000E"  # sandbox-assigned: injected faults and internal errors


class MaximoError(Exception):
    """Raised by handlers and services; rendered as Maximo's error body."""

    def __init__(self, status: int, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason_code, self.message = status, reason_code, message

    def body(self) -> dict:
        return error_body(self.status, self.reason_code, self.message)


def error_body(status: int, reason_code: str, message: str) -> dict:
    # Maximo prefixes the message with its id and sends the status as a string.
    text = message if message.startswith(reason_code) else f"{reason_code} - {message}"
    return {
        "Error": {
            "message": text,
            "reasonCode": reason_code,
            "statusCode": str(status),
            "extendedError": {"moreInfo": {"href": ""}},
        }
    }


def error_response(status: int, message: str, reason_code: str | None = None) -> Response:
    """Also the body of injected faults (control.py calls it with status and message)."""
    code = reason_code or (NOT_AUTHENTICATED if status == 401 else SERVER_ERROR)
    return JSONResponse(error_body(status, code, message), status_code=status)


def not_found(what: str) -> MaximoError:
    return MaximoError(404, NOT_FOUND, f"The resource {what} cannot be found.")


def bad_value(message: str) -> MaximoError:
    return MaximoError(400, BAD_VALUE, message)
