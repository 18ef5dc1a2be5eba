"""The PLM's change orders: queries, creates, affected items, and the release that makes revisions effective."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.plm.errors import ALREADY_IN_CHANGE, CHANGE_LOCKED, IN_ANOTHER_CHANGE, ApiError, invalid_guid
from sandbox.plm.items import get_revision, like_pattern, now_iso
from sandbox.plm.seed import iso
from sandbox.plm.store import EFFECTIVE, PLMStore, new_guid

OPEN_STATUSES = ("OPEN_AND_UNLOCKED", "OPEN_AND_LOCKED")


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
        args.append(like_pattern(filters["number"]))
    if "title" in filters:
        where.append("title LIKE ? ESCAPE '\\'")
        args.append(like_pattern(filters["title"]))
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
