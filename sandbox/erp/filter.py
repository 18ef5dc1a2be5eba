"""OData v2 `$filter`: a tokenizer, a recursive-descent parser and an evaluator over stored documents.

Supports eq ne gt ge lt le, and or not, parentheses, string literals with '' escaping, numbers
(integer, 1.5, 1.5M/m decimal), true/false/null, datetime'...' and datetimeoffset'...' literals, and the
functions substringof, startswith, endswith, tolower, toupper. Also parses key predicates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.erp.edm import EntityType, iso_to_us
from sandbox.erp.errors import bad_request

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<dt>(?:datetimeoffset|datetime|guid)'(?:[^']*)')
    | (?P<str>'(?:[^']|'')*')
    | (?P<num>-?\d+(?:\.\d+)?[mMdDfFlL]?)
    | (?P<punct>[(),=/])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FUNCTIONS = {"substringof", "startswith", "endswith", "tolower", "toupper"}
Node = tuple  # ("lit", value) | ("prop", name) | ("cmp", op, a, b) | ("and"/"or", a, b) | ("not", a) | ("fn", n, args)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise bad_request(f"Invalid $filter syntax near position {pos}: '{text[pos : pos + 20]}'")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def literal_value(kind: str, text: str) -> Any:
    """A literal token -> Python value (datetimes as aware datetime, numbers as Decimal)."""
    if kind == "str":
        return text[1:-1].replace("''", "'")
    if kind == "num":
        return Decimal(text.rstrip("mMdDfFlL"))
    if kind == "dt":
        prefix, _, rest = text.partition("'")
        body = rest[:-1]
        if prefix == "guid":
            return body
        try:
            return datetime.fromtimestamp(0, UTC) + _us_delta(iso_to_us(body))
        except ValueError:
            raise bad_request(f"Invalid {prefix} literal '{body}'") from None
    raise bad_request(f"Expected a literal, found '{text}'")


def _us_delta(us: int) -> timedelta:
    return timedelta(microseconds=us)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise bad_request("Unexpected end of $filter expression")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        kind, value = self.take()
        if value != text:
            raise bad_request(f"Expected '{text}' in $filter, found '{value}'")

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1] == word

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.is_word("or"):
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.is_word("and"):
            self.take()
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.is_word("not"):
            self.take()
            return ("not", self.parse_not())
        return self.parse_cmp()

    def parse_cmp(self) -> Node:
        left = self.parse_primary()
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1] in COMPARISONS:
            self.take()
            return ("cmp", tok[1], left, self.parse_primary())
        return left

    def parse_primary(self) -> Node:
        kind, text = self.take()
        if text == "(":
            node = self.parse_or()
            self.expect(")")
            return node
        if kind == "word" and text in ("true", "false"):
            return ("lit", text == "true")
        if kind == "word" and text == "null":
            return ("lit", None)
        if kind == "word" and text in FUNCTIONS and self.peek() == ("punct", "("):
            self.take()
            args = [self.parse_or()]
            while self.peek() == ("punct", ","):
                self.take()
                args.append(self.parse_or())
            self.expect(")")
            return ("fn", text, args)
        if kind == "word":
            return ("prop", text)
        if kind in ("str", "num", "dt"):
            return ("lit", literal_value(kind, text))
        raise bad_request(f"Unexpected '{text}' in $filter")


def parse_filter(text: str, etype: EntityType) -> Node:
    parser = _Parser(tokenize(text))
    node = parser.parse_or()
    if parser.peek() is not None:
        raise bad_request(f"Unexpected '{parser.peek()[1]}' in $filter")
    _check_props(node, etype)
    return node


def _check_props(node: Node, etype: EntityType) -> None:
    if node[0] == "prop" and etype.prop(node[1]) is None:
        raise bad_request(f"Property '{node[1]}' not found in type '{etype.type_name}'", target=node[1])
    for child in node[1:]:
        if isinstance(child, tuple):
            _check_props(child, etype)
        elif isinstance(child, list):
            for c in child:
                _check_props(c, etype)


def compile_filter(node: Node, etype: EntityType) -> Callable[[dict[str, Any]], bool]:
    return lambda doc: bool(_eval(node, doc, etype))


def _prop_value(doc: dict[str, Any], etype: EntityType, name: str) -> Any:
    prop = etype.prop(name)
    value = doc.get(name)
    if value is None or prop is None:
        return value
    if prop.edm == "Edm.DateTime":
        return datetime.fromtimestamp(0, UTC) + _us_delta(int(value) * 1000)
    if prop.edm == "Edm.DateTimeOffset":
        return datetime.fromtimestamp(0, UTC) + _us_delta(int(value))
    if prop.edm == "Edm.Decimal":
        return Decimal(str(value))
    return value


def _eval(node: Node, doc: dict[str, Any], etype: EntityType) -> Any:
    tag = node[0]
    if tag == "lit":
        return node[1]
    if tag == "prop":
        return _prop_value(doc, etype, node[1])
    if tag == "and":
        return bool(_eval(node[1], doc, etype)) and bool(_eval(node[2], doc, etype))
    if tag == "or":
        return bool(_eval(node[1], doc, etype)) or bool(_eval(node[2], doc, etype))
    if tag == "not":
        return not _eval(node[1], doc, etype)
    if tag == "fn":
        return _call(node[1], [_eval(a, doc, etype) for a in node[2]])
    return _compare(node[1], _eval(node[2], doc, etype), _eval(node[3], doc, etype))


def _call(name: str, args: list[Any]) -> Any:
    if name in ("tolower", "toupper"):
        return None if args[0] is None else (args[0].lower() if name == "tolower" else args[0].upper())
    if len(args) != 2:
        raise bad_request(f"Function {name} takes two arguments")
    a, b = ("" if x is None else str(x) for x in args)
    if name == "substringof":
        return a in b
    return a.startswith(b) if name == "startswith" else a.endswith(b)


def _compare(op: str, a: Any, b: Any) -> bool:
    if op in ("eq", "ne"):
        if isinstance(a, Decimal) or isinstance(b, Decimal):
            a, b = _as_decimal(a), _as_decimal(b)
        same = a == b
        return same if op == "eq" else not same
    if a is None or b is None:
        return False
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        a, b = _as_decimal(a), _as_decimal(b)
    if type(a) is not type(b):
        raise bad_request(f"Cannot compare {type(a).__name__} with {type(b).__name__} in $filter")
    return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


def _as_decimal(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def parse_key_predicate(text: str, etype: EntityType) -> dict[str, str]:
    """`'X'` or `Product='X',Language='EN'` -> {key: value}; every key of the type required."""
    tokens = tokenize(text)
    values: dict[str, str] = {}
    if len(tokens) == 1 and len(etype.keys) == 1 and tokens[0][0] == "str":
        return {etype.keys[0]: literal_value("str", tokens[0][1])}
    i = 0
    while i < len(tokens):
        if i + 2 >= len(tokens) or tokens[i][0] != "word" or tokens[i + 1][1] != "=" or tokens[i + 2][0] != "str":
            raise bad_request(f"Invalid key predicate '({text})' for {etype.set_name}")
        values[tokens[i][1]] = literal_value("str", tokens[i + 2][1])
        i += 3
        if i < len(tokens):
            if tokens[i][1] != ",":
                raise bad_request(f"Invalid key predicate '({text})' for {etype.set_name}")
            i += 1
    if set(values) != set(etype.keys):
        raise bad_request(f"Key predicate of {etype.set_name} needs exactly: {', '.join(etype.keys)}")
    return values


def equality_candidates(node: Node | None, prop: str) -> set[str] | None:
    """Values `prop` must equal for `node` to hold (`prop eq 'x'` joined by and/or), or None if unbounded.

    Lets a handler fetch only those documents by index; the full filter still runs on what it fetched.
    """
    if node is None:
        return None
    tag = node[0]
    if tag == "cmp" and node[1] == "eq":
        pairs = [(node[2], node[3]), (node[3], node[2])]
        for a, b in pairs:
            if a == ("prop", prop) and b[0] == "lit" and isinstance(b[1], str):
                return {b[1]}
        return None
    if tag in ("and", "or"):
        left, right = equality_candidates(node[1], prop), equality_candidates(node[2], prop)
        if tag == "or":
            return None if left is None or right is None else left | right
        if left is None or right is None:
            return right if left is None else left
        return left & right
    return None
