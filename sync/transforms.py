"""Field transforms named in mapping specs, compiled once into plain functions.

A transform is written in YAML as a bare name (`trim`) or a one-key mapping (`{truncate: 40}`).
`compile_transform` returns either a function `value -> value` or an error message for the spec
loader. A function that cannot transform one record's value raises `ValueProblem`, which the mapper
turns into a per-record `MappingError`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from typing import Any

Transform = Callable[[Any], Any]

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN, "up": ROUND_UP}


class ValueProblem(Exception):
    """One record's value cannot be transformed; `code` becomes the MappingError code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def lookup_in(table: Mapping[str, Any], value: Any) -> tuple[bool, Any]:
    """Exact key first, then glob keys ("*/BUY") in declared order. Returns (found, result)."""
    text = "" if value is None else str(value)
    if text in table:
        return True, table[text]
    for pattern, result in table.items():
        if ("*" in pattern or "?" in pattern) and fnmatch.fnmatchcase(text, pattern):
            return True, result
    return False, None


def _text(fn: Callable[[str], Any]) -> Transform:
    return lambda v: v if v is None else fn(str(v))


def _decimal(value: Any) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueProblem("MAPPING_TYPE_INVALID", f"{value!r} is not a number") from None


def _date_format(fmt: str) -> Transform:
    def apply(value: Any) -> Any:
        if value is None or value == "":
            return value
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise ValueProblem("MAPPING_TYPE_INVALID", f"{value!r} is not an ISO date") from None
        if not isinstance(value, date):
            raise ValueProblem("MAPPING_TYPE_INVALID", f"{value!r} is not a date")
        return value.strftime(fmt)

    return apply


def _round(arg: Any) -> Transform | str:
    places, mode = (arg, "half_up") if not isinstance(arg, dict) else (arg.get("places"), arg.get("mode", "half_up"))
    if not isinstance(places, int) or isinstance(places, bool) or places < 0:
        return f"round needs a number of places >= 0, got {places!r}"
    if mode not in ROUNDING_MODES:
        return f"unknown rounding mode {mode!r} (use one of {sorted(ROUNDING_MODES)})"
    quantum, rounding = Decimal(1).scaleb(-places), ROUNDING_MODES[mode]
    return lambda v: v if v is None or v == "" else _decimal(v).quantize(quantum, rounding=rounding)


def _replace(arg: Any) -> Transform | str:
    if not isinstance(arg, dict) or "pattern" not in arg:
        return "replace needs {pattern: REGEX, with: TEXT}"
    try:
        regex = re.compile(str(arg["pattern"]))
    except re.error as exc:
        return f"replace pattern {arg['pattern']!r} is not a valid regular expression: {exc}"
    replacement = str(arg.get("with", ""))
    return _text(lambda s: regex.sub(replacement, s))


def _scale(arg: Any) -> Transform | str:
    try:
        factor = Decimal(str(arg))
    except InvalidOperation:
        return f"scale needs a number, got {arg!r}"
    return lambda v: v if v is None or v == "" else _decimal(v) * factor


def _positive_int(name: str, arg: Any, make: Callable[[int], Transform]) -> Transform | str:
    if not isinstance(arg, int) or isinstance(arg, bool) or arg <= 0:
        return f"{name} needs a positive whole number, got {arg!r}"
    return make(arg)


def _zero_pad(width: int) -> Transform:
    def apply(value: Any) -> Any:
        if value is None or value == "":
            return value
        text = str(value).strip()
        if not text.isdigit():
            raise ValueProblem("MAPPING_TYPE_INVALID", f"{value!r} is not a whole number to zero-pad")
        return text.zfill(width)

    return apply


def _concat(arg: Any) -> Transform | str:
    if not isinstance(arg, str):
        return f"concat needs a separator text, got {arg!r}"

    def apply(value: Any) -> Any:
        parts = value if isinstance(value, list | tuple) else [value]
        return arg.join("" if p is None else str(p) for p in parts)

    return apply


def _table_lookup(kind: str, code: str, table: Mapping[str, Any]) -> Transform:
    def apply(value: Any) -> Any:
        if value is None or value == "":
            return value
        found, result = lookup_in(table, value)
        if not found:
            raise ValueProblem(code, f"{value!r} is not in the {kind}")
        return result

    return apply


def compile_transform(
    item: Any, lookups: Mapping[str, Mapping[str, Any]], units: Mapping[str, Any]
) -> tuple[str, Transform | str]:
    """Compile one transform entry. Returns (name, function) or (name, error message)."""
    if isinstance(item, str):
        name, arg, has_arg = item, None, False
    elif isinstance(item, dict) and len(item) == 1:
        (name, arg), has_arg = next(iter(item.items())), True
    else:
        return str(item), f"a transform is a name or a one-key mapping, got {item!r}"
    no_arg: dict[str, Transform] = {
        "trim": _text(str.strip),
        "upper": _text(str.upper),
        "lower": _text(str.lower),
        "uom": _table_lookup("unit table", "MAPPING_UNIT_UNKNOWN", {k: u.to for k, u in units.items()}),
    }
    if name in no_arg:
        return name, (f"{name} takes no argument" if has_arg else no_arg[name])
    with_arg: dict[str, Callable[[Any], Transform | str]] = {
        "truncate": lambda a: _positive_int("truncate", a, lambda n: _text(lambda s: s[:n])),
        "zero_pad": lambda a: _positive_int("zero_pad", a, _zero_pad),
        "prefix": lambda a: _text(lambda s: f"{a}{s}"),
        "suffix": lambda a: _text(lambda s: f"{s}{a}"),
        "replace": _replace,
        "scale": _scale,
        "round": _round,
        "date_format": lambda a: _date_format(a) if isinstance(a, str) else f"date_format needs a text, got {a!r}",
        "concat": _concat,
        "lookup": lambda a: (
            _table_lookup(f"lookup table {a!r}", "MAPPING_LOOKUP_UNMAPPED", lookups[a])
            if a in lookups
            else f"lookup table {a!r} is not defined under lookups"
        ),
    }
    if name not in with_arg:
        known = sorted([*no_arg, *with_arg])
        return str(name), f"unknown transform {name!r} (known: {', '.join(known)})"
    if not has_arg:
        return name, f"{name} needs an argument, e.g. {{{name}: ...}}"
    return name, with_arg[name](arg)
