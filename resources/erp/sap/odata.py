"""OData v2 reading helpers for the SAP client: `$filter` literals and builder, and wire-value decoding.

Pure functions, no HTTP. The builder turns Python values into OData v2 literals:
strings quoted with '' escaping, aware datetimes as `datetimeoffset'...Z'` (UTC), naive datetimes and
dates as `datetime'...'`, Decimals with SAP's `M` suffix, ints plain, bools `true`/`false`, None `null`,
and lists (`field__in=[...]`) as parenthesised `or` chains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "in")
_DATE_RE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Edm.Decimal properties the client reads as Decimal (SAP sends decimals as JSON strings).
DECIMAL_FIELDS = frozenset(
    {
        "BillOfMaterialItemQuantity",
        "BOMHeaderQuantityInBaseUnit",
        "ComponentScrapInPercent",
        "GrossWeight",
        "NetWeight",
        "MaterialVolume",
    }
)
_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def odata_literal(value: Any) -> str:
    """One Python value as an OData v2 URI literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write non-finite decimal {value!r} as an OData literal")
        return f"{value:f}M"
    if isinstance(value, float):
        return f"{Decimal(repr(value)):f}M"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"datetime'{value.strftime('%Y-%m-%dT%H:%M:%S')}'"
        utc = value.astimezone(UTC)
        return f"datetimeoffset'{utc.strftime('%Y-%m-%dT%H:%M:%S')}.{utc.microsecond:06d}Z'"
    if isinstance(value, date):
        return f"datetime'{value.isoformat()}T00:00:00'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} as an OData literal")


def odata_condition(prop: str, op: str, value: Any) -> str:
    """`Prop op literal`; `in` becomes `(Prop eq a or Prop eq b ...)`."""
    if not _PROPERTY.match(prop):
        raise ValueError(f"invalid OData property name {prop!r}")
    if op not in OPERATORS:
        raise ValueError(f"unknown OData operator {op!r} for {prop}; use one of {', '.join(OPERATORS)}")
    if op == "in":
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise TypeError(f"{prop}__in expects a list of values, got {type(value).__name__}")
        values = list(value)
        if not values:
            raise ValueError(f"{prop}__in needs at least one value")
        return "(" + " or ".join(f"{prop} eq {odata_literal(v)}" for v in values) + ")"
    return f"{prop} {op} {odata_literal(value)}"


def odata_filter(*raw: str, **conditions: Any) -> str:
    """A `$filter` expression: every condition joined with `and`.

    Keyword names are `Property` (eq) or `Property__op` with op in eq ne gt ge lt le in; positional
    arguments are ready-made expressions (wrapped in parentheses). Example:
    `odata_filter(Product__in=["A", "B"], LastChangeDateTime__gt=since)`.
    """
    parts = [f"({expr})" for expr in raw]
    for key, value in conditions.items():
        prop, _, op = key.partition("__")
        parts.append(odata_condition(prop, op or "eq", value))
    if not parts:
        raise ValueError("odata_filter needs at least one condition")
    return " and ".join(parts)


def odata_or(*expressions: str) -> str:
    """Expressions joined with `or`, parenthesised."""
    return "(" + " or ".join(f"({e})" for e in expressions) + ")"


def key_predicate(**keys: str) -> str:
    """`('X')` for one key, `(A='x',B='y')` for compound keys, with '' escaping."""
    if len(keys) == 1:
        return f"({odata_literal(next(iter(keys.values())))})"
    return "(" + ",".join(f"{k}={odata_literal(v)}" for k, v in keys.items()) + ")"


def parse_odata_date(text: str) -> datetime | None:
    """`/Date(ms)/` or `/Date(ms+0000)/` -> aware datetime (UTC); None if `text` is not such a value."""
    m = _DATE_RE.match(text)
    if not m:
        return None
    moment = _EPOCH + timedelta(milliseconds=int(m.group(1)))
    if m.group(2):
        minutes = int(m.group(3)) * 60 + int(m.group(4))
        offset = timedelta(minutes=minutes if m.group(2) == "+" else -minutes)
        return moment.astimezone(timezone(offset)) if offset else moment
    return moment


def decode_value(name: str, value: Any) -> Any:
    """One wire value -> Python: `/Date(...)/` -> datetime, known decimal fields -> Decimal."""
    if isinstance(value, str):
        if value.startswith("/Date("):
            parsed = parse_odata_date(value)
            if parsed is not None:
                return parsed
        if name in DECIMAL_FIELDS:
            try:
                return Decimal(value)
            except InvalidOperation:
                raise ValueError(f"field {name}: {value!r} is not a decimal") from None
    return value


def decode_entity(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Plain properties of an OData v2 entity, decoded; `__metadata` and deferred navigations dropped,
    expanded navigations decoded to lists of dicts."""
    out: dict[str, Any] = {}
    for name, value in entity.items():
        if name == "__metadata":
            continue
        if isinstance(value, Mapping):
            if "__deferred" in value:
                continue
            if "results" in value:
                out[name] = [decode_entity(v) for v in value["results"]]
                continue
            out[name] = decode_entity(value)
            continue
        out[name] = decode_value(name, value)
    return out


def encode_value(value: Any) -> Any:
    """Python -> OData v2 JSON payload value: Decimal as string, datetime as /Date(ms)/."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return f"/Date({int((aware - _EPOCH) / timedelta(milliseconds=1))})/"
    return value


def entity_etag(entity: Mapping[str, Any]) -> str | None:
    """The etag SAP puts in `__metadata.etag`."""
    meta = entity.get("__metadata")
    return meta.get("etag") if isinstance(meta, Mapping) else None


def chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    """`values` in consecutive lists of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
