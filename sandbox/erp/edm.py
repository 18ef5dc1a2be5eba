"""Edm types and the OData v2 JSON wire format: /Date(ms)/, /Date(ms+0000)/, decimals as strings.

Stored values: Edm.String -> str, Edm.Boolean -> bool, Edm.Decimal -> str (quantized to the scale),
Edm.DateTime -> int milliseconds since epoch (UTC), Edm.DateTimeOffset -> int microseconds since epoch (UTC;
microseconds so consecutive changes get distinct etags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from sandbox.erp.errors import INVALID_PROPERTY, ODataError, bad_request

_DATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Prop:
    """One property of an entity type."""

    name: str
    edm: str = "Edm.String"
    max_len: int | None = None
    scale: int | None = None  # Edm.Decimal digits after the point
    default: Any = ""
    read_only: bool = False  # set by the server; ignored when a client sends it


@dataclass(frozen=True)
class EntityType:
    """An entity type and the set that exposes it."""

    namespace: str
    type_name: str
    set_name: str
    keys: tuple[str, ...]
    props: tuple[Prop, ...]
    navs: tuple[str, ...] = ()

    def prop(self, name: str) -> Prop | None:
        return self._by_name().get(name)

    def _by_name(self) -> dict[str, Prop]:
        return {p.name: p for p in self.props}

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.props}

    def key_of(self, doc: dict[str, Any]) -> str:
        """The stored key string: key values joined by a unit separator."""
        return "\x1f".join(str(doc[k]) for k in self.keys)

    def key_predicate(self, doc: dict[str, Any]) -> str:
        values = [f"'{str(doc[k]).replace(chr(39), chr(39) * 2)}'" for k in self.keys]
        if len(self.keys) == 1:
            return f"({values[0]})"
        return "(" + ",".join(f"{k}={v}" for k, v in zip(self.keys, values, strict=True)) + ")"


def now_us() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)


def midnight_ms(us: int) -> int:
    """Edm.DateTime date fields (CreationDate, LastChangeDate) hold the UTC day of a moment."""
    return (us // 86_400_000_000) * 86_400_000


def to_wire(prop: Prop, value: Any) -> Any:
    """Stored value -> OData v2 JSON value."""
    if value is None:
        return None
    if prop.edm == "Edm.DateTime":
        return f"/Date({int(value)})/"
    if prop.edm == "Edm.DateTimeOffset":
        return f"/Date({int(value) // 1000}+0000)/"
    if prop.edm == "Edm.Decimal":
        return str(value)
    return value


def from_wire(etype: EntityType, prop: Prop, value: Any) -> Any:
    """OData v2 JSON value from a client -> stored value, validating type and length."""
    where = f"{etype.type_name}.{prop.name}"
    if value is None:
        return None
    if prop.edm == "Edm.String":
        if not isinstance(value, str):
            raise ODataError(
                400, INVALID_PROPERTY, f"Property '{prop.name}' of {etype.type_name} expects a string", target=prop.name
            )
        if prop.max_len is not None and len(value) > prop.max_len:
            raise bad_request(f"Value of '{where}' is longer than {prop.max_len} characters", target=prop.name)
        return value
    if prop.edm == "Edm.Boolean":
        if not isinstance(value, bool):
            raise bad_request(f"Property '{where}' expects true or false", target=prop.name)
        return value
    if prop.edm == "Edm.Decimal":
        return parse_decimal(value, prop, where)
    if prop.edm in ("Edm.DateTime", "Edm.DateTimeOffset"):
        us = parse_datetime_value(value, where)
        return us // 1000 if prop.edm == "Edm.DateTime" else us
    return value


def parse_decimal(value: Any, prop: Prop, where: str) -> str:
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise bad_request(f"Value '{value}' of '{where}' is not a decimal", target=prop.name)
    if prop.scale is not None:
        number = number.quantize(Decimal(1).scaleb(-prop.scale))
    return str(number)


def parse_datetime_value(value: Any, where: str) -> int:
    """'/Date(ms)/', '/Date(ms+0000)/' or ISO 8601 -> microseconds since epoch (UTC)."""
    if isinstance(value, str):
        m = _DATE_RE.match(value)
        if m:  # SAP's ms value is UTC already; a "+0000"-style offset only names the original zone
            return int(m.group(1)) * 1000
        try:
            return iso_to_us(value)
        except ValueError:
            pass
    raise bad_request(f"Value '{value}' of '{where}' is not an Edm date/time")


def iso_to_us(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def etag_of(us: int) -> str:
    """SAP's weak etag over LastChangeDateTime: W/"datetimeoffset'2024-05-01T10%3A11%3A12.1234560Z'"."""
    moment = datetime.fromtimestamp(us / 1_000_000, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{us % 1_000_000:06d}0Z"
    return f"W/\"datetimeoffset'{quote(text, safe='-.TZ')}'\""


def format_entity(
    etype: EntityType, doc: dict[str, Any], service_root: str, select: set[str] | None = None
) -> dict[str, Any]:
    """Stored document -> OData v2 JSON entity with __metadata; navigations deferred."""
    uri = f"{service_root}/{etype.set_name}{quote(etype.key_predicate(doc), safe=chr(39) + '=,()')}"
    meta = {"id": uri, "uri": uri, "type": f"{etype.namespace}.{etype.type_name}"}
    if "__ts" in doc:
        meta["etag"] = etag_of(doc["__ts"])
    out: dict[str, Any] = {"__metadata": meta}
    for prop in etype.props:
        if select is None or prop.name in select:
            out[prop.name] = to_wire(prop, doc.get(prop.name, prop.default))
    for nav in etype.navs:
        if select is None or nav in select:
            out[nav] = {"__deferred": {"uri": f"{uri}/{nav}"}}
    return out
