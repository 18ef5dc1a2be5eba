"""Maximo's query language: `oslc.where`, `oslc.select` (nested braces) and `oslc.orderBy`.

where: `attr op value [and ...]` with op one of = != < > <= >=, `attr in [v1,v2]`; values are quoted
strings ("%" makes `=` a LIKE, case-insensitive), numbers, or quoted ISO dates (compared as instants);
`attr="*"` means "has a value", `attr!="*"` "has none". Maximo's where has no `or` at the top level.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.eam.errors import BAD_QUERY, MaximoError

Predicate = Callable[[dict[str, Any]], bool]
Selection = dict[str, "Selection | None"]  # attribute -> None, or child -> its own selection; "*" = all

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>!=|<=|>=|=|<|>)|(?P<lb>\[)|(?P<rb>\])|(?P<comma>,)'
    r"|(?P<word>[A-Za-z0-9_.:+\-]+))"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def bad_query(message: str) -> MaximoError:
    return MaximoError(400, BAD_QUERY, message)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise bad_query(f"oslc.where cannot be parsed near {text[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _literal(kind: str, raw: str) -> Any:
    if kind == "str":
        return raw[1:-1].replace('\\"', '"')
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            raise bad_query(f"oslc.where value {raw!r} must be a quoted string or a number") from None


def as_instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if expected == "*" and op in ("=", "!="):
        present = actual not in (None, "")
        return present if op == "=" else not present
    if actual is None:
        return op == "!="
    if isinstance(expected, str) and "%" in expected and op in ("=", "!="):
        pattern = "^" + ".*".join(re.escape(p) for p in expected.split("%")) + "$"
        hit = re.match(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
        return hit if op == "=" else not hit
    left, right = actual, expected
    if as_instant(expected) is not None and as_instant(actual) is not None:
        left, right = as_instant(actual), as_instant(expected)
    elif isinstance(expected, (int, float)):
        try:
            left = float(actual)
        except (TypeError, ValueError):
            return False
    else:
        left, right = str(actual), str(expected)
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }[op]


def parse_where(text: str | None) -> Predicate:
    """The records matching `oslc.where` (everything when empty)."""
    if not text or not text.strip():
        return lambda record: True
    tokens, pos, clauses = _tokens(text), 0, []

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(tokens):
            raise bad_query(f"oslc.where ends too early: {text!r}")
        pos += 1
        return tokens[pos - 1]

    while True:
        kind, attr = take()
        if kind != "word":
            raise bad_query(f"oslc.where expects an attribute name, got {attr!r}")
        kind, op = take()
        if kind == "word" and op.lower() == "in":
            if take()[0] != "lb":
                raise bad_query(f"oslc.where: 'in' must be followed by [..] after {attr}")
            values = []
            while True:
                kind, raw = take()
                if kind == "rb":
                    break
                if kind == "comma":
                    continue
                values.append(_literal(kind, raw))
            clauses.append((attr.lower(), "in", values))
        elif kind == "op":
            kind, raw = take()
            clauses.append((attr.lower(), op, _literal(kind, raw)))
        else:
            raise bad_query(f"oslc.where expects an operator after {attr}, got {op!r}")
        if pos >= len(tokens):
            break
        kind, word = take()
        if kind != "word" or word.lower() != "and":
            raise bad_query(f"oslc.where joins conditions with 'and' only, got {word!r}")

    def matches(record: dict[str, Any]) -> bool:
        for attr, op, value in clauses:
            actual = record.get(attr)
            if op == "in":
                if not any(_compare(actual, "=", v) for v in value):
                    return False
            elif not _compare(actual, op, value):
                return False
        return True

    return matches


def parse_select(text: str | None) -> Selection | None:
    """`wonum,status,wpmaterial{itemnum,itemqty}` -> {"wonum": None, ..., "wpmaterial": {...}}; None if absent."""
    if text is None or not text.strip():
        return None
    pos = 0

    def level(depth: int) -> Selection:
        nonlocal pos
        out: Selection = {}
        name = ""
        while pos < len(text):
            ch = text[pos]
            pos += 1
            if ch == ",":
                if name.strip():
                    out[name.strip().lower()] = None
                name = ""
            elif ch == "{":
                out[name.strip().lower()] = level(depth + 1)
                name = ""
            elif ch == "}":
                if depth == 0:
                    raise bad_query(f"oslc.select has an unmatched '}}': {text!r}")
                break
            else:
                name += ch
        else:
            if depth > 0:
                raise bad_query(f"oslc.select has an unclosed '{{': {text!r}")
        if name.strip():
            out[name.strip().lower()] = None
        return out

    return level(0)


@dataclass(frozen=True)
class SortKey:
    attr: str
    descending: bool


def parse_order_by(text: str | None) -> list[SortKey]:
    """`-statusdate,+wonum` (a decoded `+` may arrive as a space)."""
    keys = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        attr = part.lstrip("+-").strip().lower()
        if not re.fullmatch(r"[a-z0-9_.]+", attr):
            raise bad_query(f"oslc.orderBy: {part!r} is not an attribute")
        keys.append(SortKey(attr, descending))
    return keys


def sort_records(records: list[Any], keys: list[SortKey], data: Callable[[Any], dict]) -> list[Any]:
    """Stable multi-key sort; missing values sort first, as Maximo's nulls do ascending."""
    for key in reversed(keys):

        def sort_value(record: Any, attr: str = key.attr) -> tuple:
            value = data(record).get(attr)
            instant = as_instant(value)
            if instant is not None:
                return (1, 1, instant.timestamp(), "")
            if isinstance(value, (int, float)):
                return (1, 1, float(value), "")
            return (0, 0, 0.0, "") if value is None else (1, 2, 0.0, str(value))

        records = sorted(records, key=sort_value, reverse=key.descending)
    return records
