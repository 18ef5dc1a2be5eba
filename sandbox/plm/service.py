"""What the PLM does: queries and writes over the store, raising ApiError the way Arena answers."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.plm.errors import ALREADY_IN_CHANGE, CHANGE_LOCKED, IN_ANOTHER_CHANGE, ApiError, invalid_guid
from sandbox.plm.seed import iso
from sandbox.plm.store import EFFECTIVE, WORKING, PLMStore, new_guid
from sandbox.plm.views import bom_line_view, component_ref, item_view

OPEN_STATUSES = ("OPEN_AND_UNLOCKED", "OPEN_AND_LOCKED")
ITEM_SELECT = (
    "SELECT r.*, i.number AS item_number, i.name, i.description, i.category, i.uom, i.make_buy, "
    "i.attributes, i.created_at AS item_created_at FROM items i JOIN revisions r ON r.item_id = i.id "
    "AND r.guid = COALESCE((SELECT guid FROM revisions WHERE item_id = i.id AND status = 1), "
    "(SELECT guid FROM revisions WHERE item_id = i.id AND status = 0))"
)


def now_iso() -> str:
    return iso(datetime.now(UTC))


def _like(pattern: str) -> str:
    """Arena wildcard search: `*` matches anything; everything else literally."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


ITEM_FILTERS = {
    "number": "i.number",
    "name": "i.name",
    "category.name": "i.category",
    "lifecyclePhase.name": "r.lifecycle_phase",
    "uom": "i.uom",
}


def list_items(
    store: PLMStore, filters: dict[str, str], offset: int, limit: int, base_url: str, with_attributes: bool
) -> list[dict[str, Any]]:
    where, args = [], []
    for name, value in filters.items():
        if name in ITEM_FILTERS:
            where.append(f"{ITEM_FILTERS[name]} LIKE ? ESCAPE '\\'")
            args.append(_like(value))
        elif name in ("category.guid", "lifecyclePhase.guid"):
            kind = "category" if name.startswith("category") else "phase"
            column = "i.category" if kind == "category" else "r.lifecycle_phase"
            names = [
                n for (n,) in store.query(f"SELECT DISTINCT {column} FROM items i JOIN revisions r ON r.item_id = i.id")
            ]
            from sandbox.plm.views import named

            matching = [n for n in names if named(kind, n)["guid"] == value]
            where.append(f"{column} = ?")
            args.append(matching[0] if matching else "\0no such name")
    sql = ITEM_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY i.number LIMIT ? OFFSET ?"
    rows = store.query(sql, [*args, limit, offset])
    return [item_view(r, base_url, with_attributes) for r in rows]


def get_revision(store: PLMStore, guid: str):
    rev = store.revision(guid)
    if rev is None:
        raise invalid_guid(guid)
    return rev


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


# --- BOM writes on the working revision ------------------------------------------------------------


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


def create_item(store: PLMStore, body: dict, base_url: str) -> dict[str, Any]:
    """POST /v1/items: a new, unreleased item with an empty working revision."""
    for field in ("number", "name"):
        if not isinstance(body.get(field), str) or not body[field].strip():
            raise ApiError(400, f'item needs a non-empty "{field}"')
    if store.one("SELECT 1 FROM items WHERE number = ?", (body["number"],)):
        raise ApiError(409, f"Item number {body['number']} already exists.", 409)
    category = (body.get("category") or {}).get("name", "Machined Part")
    attributes = {
        a["apiName"]: str(a["value"])
        for a in body.get("additionalAttributes", [])
        if a.get("apiName") and a.get("apiName") != "makeBuy"
    }
    make_buy = next(
        (str(a["value"]) for a in body.get("additionalAttributes", []) if a.get("apiName") == "makeBuy"), "MAKE"
    )
    guid = new_guid()
    with store.tx() as c:
        cur = c.execute(
            "INSERT INTO items(number, name, description, category, uom, make_buy, attributes, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                body["number"],
                body["name"],
                body.get("description") or body["name"],
                category,
                body.get("uom") or "EA",
                make_buy,
                json.dumps(attributes, sort_keys=True),
                now_iso(),
            ),
        )
        c.execute(
            "INSERT INTO revisions(guid, item_id, number, status, lifecycle_phase, created_at) "
            "VALUES (?, ?, NULL, 0, 'In Design', ?)",
            (guid, cur.lastrowid, now_iso()),
        )
    return item_view(store.revision(guid), base_url)


def update_item(store: PLMStore, guid: str, body: dict) -> Any:
    """PUT /v1/items/{guid}: item-level fields (name, description, category); Arena keeps them unrevisioned."""
    rev = get_revision(store, guid)
    changes = {
        "name": body.get("name"),
        "description": body.get("description"),
        "category": (body.get("category") or {}).get("name"),
    }
    changes = {column: value for column, value in changes.items() if value is not None}
    if any(not isinstance(v, str) or not v.strip() for v in changes.values()):
        raise ApiError(400, "item name, description and category name must be non-empty text")
    with store.tx() as c:
        for column, value in changes.items():  # column names come from the fixed dict above
            c.execute(f"UPDATE items SET {column} = ? WHERE id = ?", (value, rev["item_id"]))
    return store.revision(guid)


# --- sessions -----------------------------------------------------------------------------------------


def touch_session(store: PLMStore, session_id: str | None, lifetime_s: float) -> None:
    """Arena sessions expire after a period without activity; each call renews them."""
    if not session_id:
        raise ApiError(401, "Unauthorized: the arena_session_id header is missing.")
    now = time.time()
    with store.tx() as c:
        row = c.execute("SELECT last_used FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None or now - row["last_used"] > lifetime_s:
            c.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            raise ApiError(401, "Unauthorized: the session has expired or is not valid. Log in again.")
        c.execute("UPDATE sessions SET last_used = ? WHERE id = ?", (now, session_id))


# --- changes ------------------------------------------------------------------------------------------


def get_change(store: PLMStore, guid: str):
    change = store.one("SELECT * FROM changes WHERE guid = ?", (guid,))
    if change is None:
        raise invalid_guid(guid)
    return change


def list_changes(store: PLMStore, filters: dict[str, str], offset: int, limit: int):
    where, args = [], []
    status = filters.get("lifecycleStatus.type") or filters.get("lifecycleStatus")
    if status:
        where.append("status = ?")
        args.append(status.upper())
    if "number" in filters:
        where.append("number LIKE ? ESCAPE '\\'")
        args.append(_like(filters["number"]))
    if "title" in filters:
        where.append("title LIKE ? ESCAPE '\\'")
        args.append(_like(filters["title"]))
    if "effectiveSince" in filters:
        since = filters["effectiveSince"]
        try:
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(
                400, f"effectiveSince must be an ISO date-time like 2024-01-31T00:00:00Z, got {since!r}"
            ) from None
        where.append("effective_at IS NOT NULL AND effective_at >= ?")
        args.append(iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC)))
    sql = "SELECT * FROM changes" + (" WHERE " + " AND ".join(where) if where else "")
    return store.query(sql + " ORDER BY number LIMIT ? OFFSET ?", [*args, limit, offset])


def create_change(store: PLMStore, body: dict) -> str:
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ApiError(400, 'change needs a non-empty "title"')
    guid = new_guid()
    with store.tx() as c:
        number = body.get("number") or f"ECO-{store.next_counter(c, 'next_change_number', 2001):06d}"
        if c.execute("SELECT 1 FROM changes WHERE number = ?", (number,)).fetchone():
            raise ApiError(409, f"Change number {number} already exists.", 409)
        c.execute(
            "INSERT INTO changes(guid, number, title, description, status, created_at) "
            "VALUES (?, ?, ?, ?, 'OPEN_AND_UNLOCKED', ?)",
            (guid, number, title, body.get("description") or title, now_iso()),
        )
    return guid


def add_change_item(store: PLMStore, change_guid: str, body: dict) -> str:
    change = get_change(store, change_guid)
    if change["status"] != "OPEN_AND_UNLOCKED":
        raise ApiError(400, "The change cannot be updated at this lifecycle stage.", CHANGE_LOCKED)
    ref = body.get("affectedItemRevision") or body.get("item")
    if not isinstance(ref, dict) or not isinstance(ref.get("guid"), str):
        raise ApiError(400, 'affected item needs "affectedItemRevision": {"guid": ...}')
    rev = get_revision(store, ref["guid"])
    item_id = rev["item_id"]
    effective = store.revision_of(item_id, EFFECTIVE)
    if store.one("SELECT 1 FROM change_items WHERE change_guid = ? AND item_id = ?", (change_guid, item_id)):
        raise ApiError(400, "The item is already in the change.", ALREADY_IN_CHANGE)
    other = store.one(
        "SELECT c.number FROM change_items ci JOIN changes c ON c.guid = ci.change_guid "
        "WHERE ci.item_id = ? AND c.status IN ('OPEN_AND_UNLOCKED', 'OPEN_AND_LOCKED', "
        "'SUBMITTED_FOR_APPROVAL')",
        (item_id,),
    )
    if other:
        raise ApiError(400, f"Selected view is already in another change ({other['number']}).", IN_ANOTHER_CHANGE)
    new_number = body.get("newRevisionNumber") or (next_letter(effective["number"]) if effective else "A")
    guid = new_guid()
    with store.tx() as c:
        position = (
            c.execute("SELECT COUNT(*) AS n FROM change_items WHERE change_guid = ?", (change_guid,)).fetchone()["n"]
            + 1
        )
        c.execute(
            "INSERT INTO change_items(guid, change_guid, item_id, position, old_revision_guid, "
            "new_revision_number) VALUES (?, ?, ?, ?, ?, ?)",
            (guid, change_guid, item_id, position, effective["guid"] if effective else None, new_number),
        )
    return guid


def next_letter(revision: str | None) -> str:
    if not revision:
        return "A"
    if revision.isdigit():
        return str(int(revision) + 1)
    if revision[-1].upper() == "Z":  # after Z come AA, AB... as in most PLM revision schemes
        return next_letter(revision[:-1]) + "A" if len(revision) > 1 else "AA"
    return revision[:-1] + chr(ord(revision[-1].upper()) + 1)


def change_items(store: PLMStore, change_guid: str):
    get_change(store, change_guid)
    return store.query(
        "SELECT ci.*, i.number AS item_number, i.name FROM change_items ci JOIN items i "
        "ON i.id = ci.item_id WHERE change_guid = ? ORDER BY position",
        (change_guid,),
    )


def make_effective(store: PLMStore, change_guid: str) -> dict[str, Any]:
    """Release every affected item: working -> effective (next letter), effective -> superseded,
    a fresh working revision copied from the newly effective BOM. Returns the change.effective event data."""
    change = get_change(store, change_guid)
    if change["status"] not in OPEN_STATUSES and change["status"] != "SUBMITTED_FOR_APPROVAL":
        raise ApiError(
            400, f"The change {change['number']} cannot move to EFFECTIVE from {change['status']}.", CHANGE_LOCKED
        )
    now = now_iso()
    affected = []
    with store.tx() as c:
        for ci in c.execute(
            "SELECT * FROM change_items WHERE change_guid = ? ORDER BY position", (change_guid,)
        ).fetchall():
            working = c.execute("SELECT * FROM revisions WHERE item_id = ? AND status = 0", (ci["item_id"],)).fetchone()
            phase = "Production" if working["lifecycle_phase"] == "In Design" else working["lifecycle_phase"]
            c.execute(
                "UPDATE revisions SET status = 2, superseded_at = ? WHERE item_id = ? AND status = 1",
                (now, ci["item_id"]),
            )
            c.execute(
                "UPDATE revisions SET status = 1, number = ?, effective_at = ?, change_guid = ?, "
                "lifecycle_phase = ? WHERE guid = ?",
                (ci["new_revision_number"], now, change_guid, phase, working["guid"]),
            )
            fresh = new_guid()
            c.execute(
                "INSERT INTO revisions(guid, item_id, number, status, lifecycle_phase, created_at) "
                "VALUES (?, ?, NULL, 0, ?, ?)",
                (fresh, ci["item_id"], phase, now),
            )
            lines = c.execute("SELECT * FROM bom_lines WHERE revision_guid = ?", (working["guid"],)).fetchall()
            c.executemany(
                "INSERT INTO bom_lines(guid, revision_guid, line_number, component_id, quantity, ref_des, "
                "notes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        new_guid(),
                        fresh,
                        ln["line_number"],
                        ln["component_id"],
                        ln["quantity"],
                        ln["ref_des"],
                        ln["notes"],
                    )
                    for ln in lines
                ],
            )
            c.execute("UPDATE change_items SET new_revision_guid = ? WHERE guid = ?", (working["guid"], ci["guid"]))
            number = c.execute("SELECT number FROM items WHERE id = ?", (ci["item_id"],)).fetchone()["number"]
            affected.append({"guid": working["guid"], "number": number, "revisionNumber": ci["new_revision_number"]})
        c.execute("UPDATE changes SET status = 'EFFECTIVE', effective_at = ? WHERE guid = ?", (now, change_guid))
    return {"guid": change_guid, "number": change["number"], "effectiveDateTime": now, "affectedItems": affected}


def set_change_status(store: PLMStore, change_guid: str, status: str) -> None:
    """Lock, unlock or cancel an open change (EFFECTIVE goes through make_effective)."""
    change = get_change(store, change_guid)
    if change["status"] not in OPEN_STATUSES:
        raise ApiError(
            400, f"The change {change['number']} cannot move to {status} from {change['status']}.", CHANGE_LOCKED
        )
    with store.tx() as c:
        c.execute("UPDATE changes SET status = ? WHERE guid = ?", (status, change_guid))
