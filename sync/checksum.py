"""Stable checksums of mapped payloads: canonical JSON, decimals normalised, dates in ISO form."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def normalise_decimal(value: Decimal | int | float | str) -> str:
    """A decimal as its shortest exact text: "1.50" -> "1.5", "1E+1" -> "10", "-0" -> "0"."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number == 0:
        return "0"
    text = format(number.normalize(), "f")
    return text


def canonical_value(value: Any) -> Any:
    """A JSON-native value with one spelling per meaning."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, Decimal | float):
        return normalise_decimal(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    raise TypeError(f"cannot checksum a value of type {type(value).__name__}: {value!r}")


_PLAIN = (str, int, type(None))  # bool is an int: also plain
# one encoder for every call: json.dumps with options builds a new one each time
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _flat_plain(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    for value in payload.values():  # noqa: SIM110 - a loop: all() over a generator costs a third more
        if not isinstance(value, _PLAIN):
            return False
    return True


def canonical_json(payload: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, normalised values."""
    if _flat_plain(payload):  # flat payload of plain values (the common case): nothing to normalise
        return _ENCODE(payload)
    return _ENCODE(canonical_value(payload))


def checksum(payload: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of a payload."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
