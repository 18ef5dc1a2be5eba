"""The PLM's BOMs: a revision's lines, where an item is used, and line writes on the working revision."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.plm.errors import CHANGE_LOCKED, ApiError, invalid_guid
from sandbox.plm.items import get_revision
from sandbox.plm.store import EFFECTIVE, WORKING, PLMStore, new_guid
from sandbox.plm.views import bom_line_view, component_ref


def bom_revision(store: PLMStore, guid: str, revision_status: str | None):
    """The revision whose BOM a GET reads: the one addressed, or the item's working one when asked."""
    rev = get_revision(store, guid)
    if revision_status is None:
        return rev
    wanted = {"WORKING": WORKING, "EFFECTIVE": EFFECTIVE}.get(revision_status.upper())
    if wanted is None:
        raise ApiError(400, f"revisionStatus must be WORKING or EFFECTIVE, got {revision_status!r}")
    target = store.revision_of(rev["item_id"], wanted)
    if target is None:
        raise ApiError(400, f"item {rev['item_number']} has no {revision_status.upper()} revision")
    return store.revision(target["guid"])


def bom(store: PLMStore, revision_guid: str, base_url: str) -> list[dict[str, Any]]:
    lines = store.query("SELECT * FROM bom_lines WHERE revision_guid = ? ORDER BY line_number, guid", (revision_guid,))
    refs: dict[int, dict] = {}
    out = []
    for line in lines:
        if line["component_id"] not in refs:
            refs[line["component_id"]] = component_ref(store, line["component_id"], base_url)
        out.append(bom_line_view(line, refs[line["component_id"]]))
    return out


def where_used(store: PLMStore, guid: str, base_url: str) -> list[dict[str, Any]]:
    """Lines in parents' current (effective, else working) revisions that use this item."""
    rev = get_revision(store, guid)
    rows = store.query(
        "SELECT l.*, r.item_id AS parent_id FROM bom_lines l JOIN revisions r ON r.guid = l.revision_guid "
        "WHERE l.component_id = ? AND (r.status = 1 OR (r.status = 0 AND NOT EXISTS "
        "(SELECT 1 FROM revisions e WHERE e.item_id = r.item_id AND e.status = 1))) "
        "ORDER BY r.item_id, l.line_number",
        (rev["item_id"],),
    )
    return [bom_line_view(row, component_ref(store, row["parent_id"], base_url)) for row in rows]


def _quantity(value: Any) -> str:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApiError(400, f"quantity must be a number, got {value!r}") from None
    if not q.is_finite() or q <= 0:
        raise ApiError(400, f"quantity must be greater than 0, got {value!r}")
    return str(q.normalize()) if q == q.to_integral_value() else str(q)


def _working(store: PLMStore, guid: str):
    rev = get_revision(store, guid)
    working = store.revision_of(rev["item_id"], WORKING)
    if working is None:
        raise ApiError(400, f"item {rev['item_number']} has no working revision to modify")
    return rev, working


def _component_id(store: PLMStore, body: dict, parent_item_id: int) -> int:
    item = body.get("item")
    if not isinstance(item, dict) or not isinstance(item.get("guid"), str):
        raise ApiError(400, 'BOM line needs "item": {"guid": ...}')
    component = get_revision(store, item["guid"])
    if _reaches(store, component["item_id"], parent_item_id):
        raise ApiError(400, f"adding {component['item_number']} would make the BOM recursive")
    return component["item_id"]


def _reaches(store: PLMStore, start: int, target: int) -> bool:
    """Does `start` contain `target` (or equal it) through any current or working BOM?"""
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(
            r["component_id"]
            for r in store.query(
                "SELECT DISTINCT l.component_id FROM bom_lines l JOIN revisions r ON r.guid = l.revision_guid "
                "WHERE r.item_id = ? AND r.status IN (0, 1)",
                (node,),
            )
        )
    return False


def add_bom_line(store: PLMStore, guid: str, body: dict, base_url: str) -> dict[str, Any]:
    rev, working = _working(store, guid)
    component_id = _component_id(store, body, rev["item_id"])
    quantity = _quantity(body.get("quantity", 1))
    line_guid = new_guid()
    with store.tx() as c:
        line_number = body.get("lineNumber")
        if line_number is None:
            row = c.execute(
                "SELECT MAX(line_number) AS n FROM bom_lines WHERE revision_guid = ?", (working["guid"],)
            ).fetchone()
            line_number = (row["n"] or 0) + 1
        if not isinstance(line_number, int) or line_number < 0:
            raise ApiError(400, f"lineNumber must be a non-negative integer, got {line_number!r}")
        c.execute(
            "INSERT INTO bom_lines(guid, revision_guid, line_number, component_id, quantity, ref_des, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                line_guid,
                working["guid"],
                line_number,
                component_id,
                quantity,
                body.get("refDes") or "",
                body.get("notes") or "",
            ),
        )
    line = store.one("SELECT * FROM bom_lines WHERE guid = ?", (line_guid,))
    return bom_line_view(line, component_ref(store, component_id, base_url))


def _working_line(store: PLMStore, guid: str, line_guid: str):
    rev, working = _working(store, guid)
    line = store.one("SELECT * FROM bom_lines WHERE guid = ?", (line_guid,))
    if line is None:
        raise invalid_guid(line_guid)
    if line["revision_guid"] != working["guid"]:
        raise ApiError(
            400,
            f"BOM line {line_guid} is not on the working revision of {rev['item_number']}; "
            "only the working revision can be modified",
            CHANGE_LOCKED,
        )
    return rev, line


def update_bom_line(store: PLMStore, guid: str, line_guid: str, body: dict, base_url: str) -> dict[str, Any]:
    rev, line = _working_line(store, guid, line_guid)
    values = {
        "quantity": line["quantity"],
        "ref_des": line["ref_des"],
        "notes": line["notes"],
        "line_number": line["line_number"],
        "component_id": line["component_id"],
    }
    if "quantity" in body:
        values["quantity"] = _quantity(body["quantity"])
    if "refDes" in body:
        values["ref_des"] = body["refDes"] or ""
    if "notes" in body:
        values["notes"] = body["notes"] or ""
    if "lineNumber" in body:
        if not isinstance(body["lineNumber"], int) or body["lineNumber"] < 0:
            raise ApiError(400, f"lineNumber must be a non-negative integer, got {body['lineNumber']!r}")
        values["line_number"] = body["lineNumber"]
    if "item" in body:
        values["component_id"] = _component_id(store, body, rev["item_id"])
    with store.tx() as c:
        c.execute(
            "UPDATE bom_lines SET quantity = :quantity, ref_des = :ref_des, notes = :notes, "
            "line_number = :line_number, component_id = :component_id WHERE guid = :guid",
            {**values, "guid": line_guid},
        )
    line = store.one("SELECT * FROM bom_lines WHERE guid = ?", (line_guid,))
    return bom_line_view(line, component_ref(store, line["component_id"], base_url))


def delete_bom_line(store: PLMStore, guid: str, line_guid: str) -> None:
    _working_line(store, guid, line_guid)
    with store.tx() as c:
        c.execute("DELETE FROM bom_lines WHERE guid = ?", (line_guid,))
