"""Arena REST v1 JSON -> canonical records (Part, BomLine, ChangeOrder).

Pure functions: no HTTP here. Bad input raises `PLMDataError` naming the item/line/change and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from resources.transport import FatalError
from sync.records import AffectedItem, BomLine, ChangeOrder, Part

MAKE_BUY_ATTRIBUTE = "makeBuy"


class PLMDataError(FatalError):
    """The PLM answered, but its data cannot become a canonical record (or forms a BOM loop)."""

    def __init__(self, message: str, *, code: str = "PLM_DATA") -> None:
        super().__init__("plm", message, code=code)


def parse_datetime(value: str | None, *, where: str) -> datetime | None:
    """Arena's Zulu timestamps (2014-07-07T23:19:46Z) -> aware datetimes; None stays None."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PLMDataError(f"{where}: not an ISO date-time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_datetime(moment: datetime) -> str:
    """An aware (or UTC-naive) datetime in Arena's Zulu form."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _name_of(value: Any) -> str:
    """Arena references such as category/lifecyclePhase are {guid, name}; tolerate a bare string."""
    if isinstance(value, Mapping):
        return str(value.get("name") or "")
    return "" if value is None else str(value)


def _required(body: Mapping[str, Any], field: str, where: str) -> Any:
    value = body.get(field)
    if value in (None, ""):
        raise PLMDataError(f"{where}: field {field!r} is missing")
    return value


def item_attributes(item: Mapping[str, Any]) -> dict[str, str]:
    """additionalAttributes [{apiName, name, value}] -> {apiName: value as text}."""
    out: dict[str, str] = {}
    for attr in item.get("additionalAttributes") or ():
        key = attr.get("apiName") or attr.get("name")
        if key:
            value = attr.get("value")
            out[str(key)] = "" if value is None else str(value)
    return out


def part_from_item(item: Mapping[str, Any]) -> Part:
    """An item as GET /v1/items/{guid} returns it -> Part (make/buy from the makeBuy attribute)."""
    where = f"PLM item {item.get('number') or item.get('guid') or '?'}"
    attributes = item_attributes(item)
    make_buy = attributes.pop(MAKE_BUY_ATTRIBUTE, "MAKE").upper() or "MAKE"
    return Part(
        number=str(_required(item, "number", where)),
        name=str(item.get("name") or ""),
        revision=str(item.get("revisionNumber") or ""),
        uom=str(_required(item, "uom", where)),
        category=_name_of(item.get("category")),
        make_buy=make_buy,
        lifecycle_phase=_name_of(item.get("lifecyclePhase")),
        guid=str(item.get("guid") or ""),
        attributes=attributes,
        effective_at=parse_datetime(item.get("effectiveDateTime"), where=f"{where} effectiveDateTime"),
    )


def quantity_of(value: Any, where: str) -> Decimal:
    """JSON numbers become Decimal through their text, so 0.1 stays 0.1."""
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PLMDataError(f"{where}: quantity is not a number: {value!r}") from None
    if not quantity.is_finite():
        raise PLMDataError(f"{where}: quantity is not finite: {value!r}")
    return quantity


def bom_line_from_arena(
    parent: Part, line: Mapping[str, Any], component: Part, *, level: int, path: tuple[str, ...]
) -> BomLine:
    """One Arena BOM line of `parent` -> BomLine (uom = the component's unit)."""
    where = f"BOM line {line.get('lineNumber')!r} of {parent.number}"
    find_number = _required(line, "lineNumber", where)
    if isinstance(find_number, bool) or not isinstance(find_number, int):
        raise PLMDataError(f"{where}: lineNumber must be an integer, got {find_number!r}")
    return BomLine(
        parent_number=parent.number,
        parent_revision=parent.revision,
        find_number=find_number,
        component_number=component.number,
        component_revision=component.revision,
        quantity=quantity_of(line.get("quantity"), where),
        uom=component.uom,
        ref_des=str(line.get("refDes") or ""),
        notes=str(line.get("notes") or ""),
        level=level,
        path=path,
        guid=str(line.get("guid") or ""),
    )


def affected_item_from_arena(row: Mapping[str, Any]) -> AffectedItem:
    """GET /v1/changes/{guid}/items row -> AffectedItem (old = affectedItemRevision, new = newItemRevision)."""
    old = row.get("affectedItemRevision") or {}
    new = row.get("newItemRevision") or {}
    number = (row.get("item") or {}).get("number") or new.get("number") or old.get("number")
    if not number:
        raise PLMDataError(f"affected item {row.get('guid')!r}: no item number")
    return AffectedItem(
        number=str(number),
        old_revision=old.get("revisionNumber"),
        new_revision=str(new.get("revisionNumber") or row.get("newRevisionNumber") or ""),
        guid=str(new.get("guid") or old.get("guid") or ""),
    )


def change_order_from_arena(change: Mapping[str, Any], items: Iterable[Mapping[str, Any]]) -> ChangeOrder:
    """A change (GET /v1/changes/{guid}) and its affected items -> ChangeOrder."""
    where = f"PLM change {change.get('number') or change.get('guid') or '?'}"
    status = change.get("lifecycleStatus")
    status_text = str(status.get("type") or "") if isinstance(status, Mapping) else str(status or "")
    return ChangeOrder(
        number=str(_required(change, "number", where)),
        title=str(change.get("title") or ""),
        status=status_text,
        effective_at=parse_datetime(change.get("effectiveDateTime"), where=f"{where} effectiveDateTime"),
        affected_items=tuple(affected_item_from_arena(row) for row in items),
        guid=str(change.get("guid") or ""),
    )
