"""The PLM's items: the list query with Arena's filters, a revision by guid, and item creates and updates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sandbox.plm.errors import ApiError, invalid_guid
from sandbox.plm.seed import iso
from sandbox.plm.store import PLMStore, new_guid
from sandbox.plm.views import item_view, named

ITEM_SELECT = (
    "SELECT r.*, i.number AS item_number, i.name, i.description, i.category, i.uom, i.make_buy, "
    "i.attributes, i.created_at AS item_created_at FROM items i JOIN revisions r ON r.item_id = i.id "
    "AND r.guid = COALESCE((SELECT guid FROM revisions WHERE item_id = i.id AND status = 1), "
    "(SELECT guid FROM revisions WHERE item_id = i.id AND status = 0))"
)


def now_iso() -> str:
    return iso(datetime.now(UTC))


def like_pattern(pattern: str) -> str:
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
            args.append(like_pattern(value))
        elif name in ("category.guid", "lifecyclePhase.guid"):
            kind = "category" if name.startswith("category") else "phase"
            column = "i.category" if kind == "category" else "r.lifecycle_phase"
            names = [
                n for (n,) in store.query(f"SELECT DISTINCT {column} FROM items i JOIN revisions r ON r.item_id = i.id")
            ]
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
