"""Maximo's error body, `{"Error": {"reasonCode", "message", "statusCode"}}`, read for typed errors."""

from __future__ import annotations

from typing import Any

import httpx

from resources.transport import default_error_parser


def maximo_error_parser(response: httpx.Response) -> tuple[str | None, str | None]:
    """`{"Error": {"reasonCode", "message", "statusCode"}}` -> (reasonCode, message); other bodies as usual."""
    try:
        body = response.json()
    except ValueError:
        return default_error_parser(response)
    error = body.get("Error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return error_text(error.get("reasonCode")), error_text(error.get("message"))
    return default_error_parser(response)


def error_text(value: Any) -> str | None:
    """A reason code or message as text (Maximo sends some as numbers), None when absent."""
    return None if value is None else str(value)
