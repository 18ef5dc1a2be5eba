"""One spec field compiled into one function `record -> value`, built once per entity and reused per batch.

The function does what the spec says, in the spec's order: read the source path(s), convert a quantity by
its unit, apply the transforms, look the enum up, fall back to the default, check required, coerce to the
field's type. Transforms are pure, so a field whose values repeat (units, categories, quantities) keeps a
small memo of value -> result; a field of distinct values (numbers, names) drops its memo after a probe.
A value that cannot be mapped raises `ValueProblem` every time (failures are never memoised).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sync.transforms import ValueProblem
from sync.values import coerce

FieldFunction = Callable[[Any], Any]

MEMO_PROBE = 1024  # lookups after which a field's memo is judged ...
MEMO_KEEP_RATIO = 0.25  # ... and kept only if it holds at most this share of them (values repeat)
MEMO_MAX = 65_536  # never more entries than this per field
_UNMEMOISABLE = object()


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _memo_key(value: Any) -> Any:
    """A key that tells apart values a transform could tell apart (1 vs 1.0 vs True, Decimal 1 vs 1.0)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is Decimal:
        return (kind, str(value))
    if kind is int or kind is bool:
        return (kind, value)
    if kind is list:
        keys = tuple(_memo_key(v) for v in value)
        return _UNMEMOISABLE if _UNMEMOISABLE in keys else (list, keys)
    return _UNMEMOISABLE


def _reader(fs: Any) -> FieldFunction:
    getters = fs.getters
    if len(getters) == 1:
        return getters[0]
    if not getters:
        return lambda record: None
    return lambda record: [get(record) for get in getters]


def _shaper(units: Mapping[str, Any], fs: Any, enum_lookup: Callable[[Mapping[str, Any], Any], Any]) -> Callable:
    """(value, unit) -> mapped value: everything after reading the record."""
    transforms, enum_map, default, required, type_name = fs.transforms, fs.enum_map, fs.default, fs.required, fs.type
    has_unit = fs.unit_source is not None

    def shape(value: Any, unit: Any) -> Any:
        if has_unit and not _empty(value):
            conversion = units.get(str(unit))
            if conversion is None:
                raise ValueProblem("MAPPING_UNIT_UNKNOWN", f"unit {unit!r} has no conversion in the unit table")
            value = Decimal(coerce("decimal", value)) * conversion.factor
        for transform in transforms:
            value = transform(value)
        if enum_map is not None and not _empty(value):
            value = enum_lookup(enum_map, value)
        if _empty(value) and default is not None:
            value = default
        if _empty(value) and required:
            raise ValueProblem("MAPPING_REQUIRED_MISSING", "required value is missing")
        return coerce(type_name, value)

    return shape


def _plain(read: FieldFunction, shape: Callable, unit_source: str | None) -> FieldFunction:
    if unit_source is None:
        return lambda record: shape(read(record), None)
    return lambda record: shape(read(record), getattr(record, unit_source, None))


def compile_field(
    units: Mapping[str, Any],
    fs: Any,
    enum_lookup: Callable[[Mapping[str, Any], Any], Any],
    on_plain: Callable[[FieldFunction], None] = lambda plain: None,
) -> FieldFunction:
    """The field's mapping function (see module doc). When its memo is dropped, `on_plain` is handed the
    memo-less function, so a caller holding the function can swap it in and skip the memo check."""
    read, shape, unit_source = _reader(fs), _shaper(units, fs, enum_lookup), fs.unit_source
    plain = _plain(read, shape, unit_source)
    if fs.type == "json":  # a json result is a mutable dict/list: never shared between payloads
        return plain
    memo: dict[Any, Any] | None = {}
    lookups = 0

    def memoised(record: Any) -> Any:
        nonlocal memo, lookups
        table = memo  # one read: another thread may drop the memo meanwhile
        if table is None:
            return plain(record)
        value = read(record)
        key = value if type(value) is str else _memo_key(value)
        unit = None if unit_source is None else getattr(record, unit_source, None)
        if key is _UNMEMOISABLE or (unit is not None and type(unit) is not str):
            return shape(value, unit)
        if unit_source is not None:
            key = (key, unit)
        result = table.get(key, _UNMEMOISABLE)
        if result is _UNMEMOISABLE:
            result = shape(value, unit)
            if len(table) < MEMO_MAX:
                table[key] = result
        lookups += 1
        if lookups == MEMO_PROBE and len(table) > MEMO_PROBE * MEMO_KEEP_RATIO:
            memo = None  # values do not repeat: the memo would only cost memory
            on_plain(plain)
        return result

    return memoised
