"""Target value types: coerce a mapped value into its canonical, JSON-native form.

Payload values are plain JSON: decimals are normalised decimal text ("0.25"), dates ISO text, so a
payload round-trips through JSON, Parquet and the state store unchanged and checksums are stable.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.checksum import canonical_value, normalise_decimal
from sync.transforms import ValueProblem

TYPES = ("string", "integer", "decimal", "boolean", "date", "datetime", "enum", "reference", "json")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


def _invalid(value: Any, kind: str) -> ValueProblem:
    return ValueProblem("MAPPING_TYPE_INVALID", f"{value!r} is not a valid {kind}")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise _invalid(value, "integer")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _invalid(value, "integer") from None
    if number != number.to_integral_value():
        raise _invalid(value, "integer")
    return int(number)


def _decimal(value: Any) -> str:
    if isinstance(value, bool):
        raise _invalid(value, "decimal")
    try:
        return normalise_decimal(value if isinstance(value, Decimal) else Decimal(str(value).strip()))
    except InvalidOperation:
        raise _invalid(value, "decimal") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _invalid(value, "boolean")


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # already formatted text (e.g. by a date_format transform)


def _datetime(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


_COERCE = {
    "string": str,
    "enum": str,
    "reference": str,
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "json": canonical_value,
}


def coerce(type_name: str, value: Any) -> Any:
    """The canonical form of a value of a spec type; None stays None."""
    if value is None:
        return None
    return _COERCE[type_name](value)
