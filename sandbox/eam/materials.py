"""Work-order status rules and material movements: approval reserves, issues and returns move balances.

Maximo's work-order statuses and the transitions it allows; approving (APPR, or going straight to WMATL
or INPRG) reserves each planned material once; an ISSUE lowers the storeroom balance and raises the
reservation's actual quantity, a RETURN does the opposite; CAN/CLOSE release the open reservations.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.eam.errors import (
    NEGATIVE_BALANCE,
    NOT_APPROVED,
    STATUS_NOT_ALLOWED,
    MaximoError,
    bad_value,
    not_found,
)
from sandbox.eam.store import EAMStore, Row
from sandbox.eam.structures import BALANCE, ITEM

STATUSES = ("WAPPR", "APPR", "WMATL", "INPRG", "COMP", "CLOSE", "CAN")
TRANSITIONS: dict[str, frozenset[str]] = {
    "WAPPR": frozenset({"APPR", "WMATL", "INPRG", "COMP", "CLOSE", "CAN"}),
    "APPR": frozenset({"WAPPR", "WMATL", "INPRG", "COMP", "CLOSE", "CAN"}),
    "WMATL": frozenset({"WAPPR", "APPR", "INPRG", "COMP", "CLOSE", "CAN"}),
    "INPRG": frozenset({"WMATL", "COMP", "CLOSE"}),  # work has started: no way back to approval or cancel
    "COMP": frozenset({"CLOSE"}),
    "CLOSE": frozenset(),  # history: Maximo never reopens a closed work order
    "CAN": frozenset(),
}
APPROVED = frozenset({"APPR", "WMATL", "INPRG"})
ISSUABLE = frozenset({"APPR", "WMATL", "INPRG", "COMP"})
STATUS_EVENT, TRANSACTION_EVENT = "workorder.status", "matusetrans"


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Write:
    """One write transaction: the connection, the site it defaults to, and the events to publish after commit."""

    store: EAMStore
    c: sqlite3.Connection
    siteid: str
    storeroom: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _quantity(entry: dict[str, Any], *names: str) -> float:
    for name in names:
        if entry.get(name) is not None:
            try:
                return abs(float(entry[name]))
            except (TypeError, ValueError):
                raise bad_value(f"{name} must be a number, got {entry[name]!r}") from None
    raise bad_value(f"{' or '.join(names)} is required")


def change_status(w: Write, wo: Row, new_status: str, memo: str | None = None) -> Row:
    """Maximo's changeStatus: checked transition, status date, reservations, an event."""
    old = wo.data.get("status", "WAPPR")
    new_status = str(new_status).upper()
    if new_status not in STATUSES:
        raise bad_value(f"BMXAA4195E - {new_status} is not a valid work order status ({', '.join(STATUSES)}).")
    if new_status == old:
        return wo
    if new_status not in TRANSITIONS[old]:
        raise MaximoError(
            400,
            STATUS_NOT_ALLOWED,
            f"Work order {wo.data['wonum']}: the status cannot be changed from {old} to {new_status}.",
        )
    if new_status == "CAN" and w.store.children(w.c, wo.id, "matusetrans"):
        raise MaximoError(400, STATUS_NOT_ALLOWED, f"Work order {wo.data['wonum']} has actuals and cannot be canceled.")
    stamp = now_iso()
    wo = w.store.update(w.c, wo, {**wo.data, "status": new_status, "statusdate": stamp, "changedate": stamp})
    if new_status in APPROVED:
        reserve_planned_materials(w, wo)
    if new_status in ("CAN", "CLOSE"):
        for reservation in w.store.children(w.c, wo.id, "invreserve"):
            w.c.execute("DELETE FROM records WHERE id = ?", (reservation.id,))
    w.events.append(
        (
            STATUS_EVENT,
            {
                "wonum": wo.data["wonum"],
                "siteid": wo.data["siteid"],
                "workorderid": wo.id,
                "status": new_status,
                "previousstatus": old,
                "statusdate": stamp,
                "memo": memo,
                "_rowstamp": str(wo.rowstamp),
            },
        )
    )
    return wo


def reserve_planned_materials(w: Write, wo: Row) -> None:
    """One reservation per planned item line that has none yet (approval happens once per line)."""
    reserved = {r.data.get("wpitemid") for r in w.store.children(w.c, wo.id, "invreserve")}
    for line in w.store.children(w.c, wo.id, "wpmaterial"):
        if line.data.get("linetype", "ITEM") != "ITEM" or line.id in reserved:
            continue
        w.store.insert(
            w.c,
            "invreserve",
            {
                "itemnum": line.data["itemnum"],
                "location": line.data.get("location") or w.storeroom,
                "reservedqty": float(line.data.get("itemqty", 0)),
                "actualqty": 0.0,
                "wpitemid": line.id,
                "wonum": wo.data["wonum"],
                "siteid": wo.data["siteid"],
                "requireddate": line.data.get("requiredate"),
            },
            parent_id=wo.id,
            id_field="invreserveid",
        )


def validate_item(w: Write, itemnum: Any) -> str:
    if not itemnum:
        raise bad_value("BMXAA4195E - itemnum is required.")
    rows = w.c.execute(
        "SELECT 1 FROM records WHERE kind = ? AND natural_key LIKE ?", (ITEM.kind, f"{itemnum}/%")
    ).fetchall()
    if not rows:
        raise bad_value(f"BMXAA4195E - Item {itemnum} is not a valid item.")
    return str(itemnum)


def _balance(w: Write, itemnum: str, storeroom: str, siteid: str) -> Row:
    rows = w.c.execute(
        "SELECT id FROM records WHERE kind = ? AND natural_key LIKE ? ORDER BY id",
        (BALANCE.kind, f"{itemnum}/{storeroom}/%/{siteid}"),
    ).fetchall()
    if not rows:
        raise bad_value(f"BMXAA4195E - Item {itemnum} has no balance in storeroom {storeroom}.")
    found = w.store.by_id(w.c, rows[0]["id"])
    assert found is not None
    return found


def post_transaction(w: Write, wo: Row, entry: dict[str, Any]) -> Row:
    """A new matusetrans row: ISSUE (stored negative) or RETURN (positive)."""
    issue_type = str(entry.get("issuetype", "ISSUE")).upper()
    if issue_type not in ("ISSUE", "RETURN"):
        raise bad_value(f"BMXAA4195E - issuetype must be ISSUE or RETURN, got {issue_type}.")
    status = wo.data.get("status")
    if status not in ISSUABLE:
        raise MaximoError(
            400,
            NOT_APPROVED,
            f"Materials cannot be issued to or returned from work order {wo.data['wonum']} in status {status}.",
        )
    itemnum = validate_item(w, entry.get("itemnum"))
    storeroom = str(entry.get("storeloc") or w.storeroom)
    qty = _quantity(entry, "positivequantity", "quantity")
    if qty <= 0:
        raise bad_value("BMXAA4195E - quantity must be more than 0.")
    balance = _balance(w, itemnum, storeroom, wo.data["siteid"])
    curbal = float(balance.data.get("curbal", 0))
    reservation = next(
        (
            r
            for r in w.store.children(w.c, wo.id, "invreserve")
            if r.data["itemnum"] == itemnum and r.data["location"] == storeroom
        ),
        None,
    )
    if issue_type == "ISSUE":
        if qty > curbal:
            raise MaximoError(
                400,
                NEGATIVE_BALANCE,
                f"Issuing {qty:g} of item {itemnum} from {storeroom} would "
                f"make the current balance ({curbal:g}) negative.",
            )
        delta = -qty
    else:
        issued = -sum(
            float(t.data["quantity"])
            for t in w.store.children(w.c, wo.id, "matusetrans")
            if t.data["itemnum"] == itemnum and t.data["storeloc"] == storeroom
        )
        if qty > issued:
            raise bad_value(
                f"BMXAA4195E - Cannot return {qty:g} of item {itemnum}: only {issued:g} were issued "
                f"to work order {wo.data['wonum']} from {storeroom}."
            )
        delta = qty
    w.store.update(w.c, balance, {**balance.data, "curbal": curbal + delta})
    if reservation is not None:
        actual = float(reservation.data.get("actualqty", 0)) - delta
        w.store.update(w.c, reservation, {**reservation.data, "actualqty": actual})
    stamp = entry.get("transdate") or now_iso()
    row = w.store.insert(
        w.c,
        "matusetrans",
        {
            "itemnum": itemnum,
            "storeloc": storeroom,
            "binnum": balance.data.get("binnum", ""),
            "quantity": delta,
            "positivequantity": qty,
            "issuetype": issue_type,
            "transdate": stamp,
            "refwo": wo.data["wonum"],
            "siteid": wo.data["siteid"],
            "assetnum": wo.data.get("assetnum"),
            "memo": entry.get("memo"),
        },
        parent_id=wo.id,
        id_field="matusetransid",
    )
    w.events.append((TRANSACTION_EVENT, {**row.data, "_rowstamp": str(row.rowstamp)}))
    return row


def adjust_balance(w: Write, balance: Row, body: dict[str, Any]) -> Row:
    """adjustCurrentBalance: set curbal to a counted `newcurbal` (an adjustment, not an issue)."""
    if body.get("newcurbal") is None:
        raise bad_value("BMXAA4195E - newcurbal is required for adjustCurrentBalance.")
    try:
        new = float(body["newcurbal"])
    except (TypeError, ValueError):
        raise bad_value(f"BMXAA4195E - newcurbal must be a number, got {body['newcurbal']!r}.") from None
    if new < 0:
        raise MaximoError(400, NEGATIVE_BALANCE, "The current balance cannot be adjusted below 0.")
    return w.store.update(w.c, balance, {**balance.data, "curbal": new, "adjusteddate": now_iso(), "physcnt": new})


def find_wo(w: Write, wonum: str, siteid: str) -> Row:
    row = w.store.by_key(w.c, "workorder", f"{siteid}/{wonum}")
    if row is None:
        raise not_found(f"work order {siteid}/{wonum}")
    return row
