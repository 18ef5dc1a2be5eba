"""Running writes: one transaction per request, the `transactionid` duplicate check, and BULK items.

Maximo stores a request's `transactionid` with the request's own commit and refuses the same id again
(409) for the id's lifetime (five minutes by default, Maximo's OSLCTXN escalation). BULK commits each
resource on its own and answers 200 with a `_responsemeta.status` per item.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from sandbox.eam import materials, service
from sandbox.eam.errors import DUPLICATE_TRANSACTION, MaximoError, bad_value
from sandbox.eam.materials import Write
from sandbox.eam.store import EAMStore, Row
from sandbox.eam.structures import Structure

T = TypeVar("T")


def run_write(
    store: EAMStore,
    siteid: str,
    storeroom: str,
    transaction_id: str | None,
    lifetime_s: float,
    work: Callable[[Write], T],
) -> tuple[T, list[tuple[str, dict[str, Any]]]]:
    """`work` inside one transaction; the transaction id is checked and stored in the same commit."""
    with store.tx() as c:
        if transaction_id:
            now = time.time()
            c.execute("DELETE FROM transactions WHERE seen_at < ?", (now - lifetime_s,))
            if c.execute("SELECT 1 FROM transactions WHERE id = ?", (transaction_id,)).fetchone():
                raise MaximoError(
                    409,
                    DUPLICATE_TRANSACTION,
                    f"The transaction {transaction_id} was already processed; it is not processed again.",
                )
            c.execute("INSERT INTO transactions(id, seen_at) VALUES (?, ?)", (transaction_id, now))
        w = Write(store, c, siteid, storeroom)
        result = work(w)
        return result, w.events


def resolve(w: Write, structure: Structure, href_id: str) -> Row:
    key = structure.key_from_href_id(href_id)
    row = w.store.by_key(w.c, structure.kind, key)
    if row is None:
        raise MaximoError(404, "BMXAA8727E", f"The resource {structure.name.upper()} {key} cannot be found.")
    return row


def href_id_of(uri: Any, structure: Structure) -> str:
    text = str(uri or "").rstrip("/")
    marker = f"/os/{structure.name}/"
    if marker not in text.lower():
        raise bad_value(f"BMXAA4195E - href {uri!r} does not point at a {structure.name.upper()} resource.")
    return text[text.lower().index(marker) + len(marker) :].split("/")[0].split("?")[0]


def bulk(w: Write, structure: Structure, items: list[Any], href: Callable[[dict], str]) -> tuple[list[dict], int]:
    """Each item in its own savepoint: (answers in order, records written)."""
    answers, written = [], 0
    for position, item in enumerate(items):
        events_before = len(w.events)
        w.c.execute("SAVEPOINT bulk_item")
        try:
            answers.append(_bulk_item(w, structure, item, href))
            w.c.execute("RELEASE bulk_item")
            written += 1
        except MaximoError as err:
            w.c.execute("ROLLBACK TO bulk_item")
            w.c.execute("RELEASE bulk_item")
            del w.events[events_before:]
            answers.append(
                {"_responsedata": err.body(), "_responsemeta": {"status": str(err.status), "position": position}}
            )
    return answers, written


def _bulk_item(w: Write, structure: Structure, item: Any, href: Callable[[dict], str]) -> dict:
    if not isinstance(item, dict):
        raise bad_value("BMXAA4195E - each BULK entry must be a JSON object.")
    if "_data" in item or "_meta" in item:  # the "multiple operations" form
        meta = item.get("_meta") or {}
        data, uri = dict(item.get("_data") or {}), meta.get("uri")
        method = str(meta.get("method", "PATCH" if uri else "POST")).upper()
        action = {"POST": "Add", "PATCH": "Update", "DELETE": "Delete"}.get(method, method)
        merge = str(meta.get("patchtype", "")).upper() == "MERGE"
    else:
        data, uri = {k: v for k, v in item.items() if k not in ("_action", "href")}, item.get("href")
        action, merge = str(item.get("_action") or ("Update" if uri else "Add")), True
    action = action.capitalize()
    if action == "Add":
        row = service.create(w, structure, data)
        return {"_responsemeta": {"status": "201", "Location": href(row.data)}}
    if action == "Addchange":
        key = structure.natural_key({k.lower(): v for k, v in data.items()} | {"siteid": data.get("siteid", w.siteid)})
        existing = w.store.by_key(w.c, structure.kind, key)
        if existing is None:
            row = service.create(w, structure, data)
            return {"_responsemeta": {"status": "201", "Location": href(row.data)}}
        service.update(w, structure, existing, data, merge=True)
        return {"_responsemeta": {"status": "204"}}
    row = resolve(w, structure, href_id_of(uri, structure))
    if action == "Update":
        service.update(w, structure, row, data, merge=merge)
        return {"_responsemeta": {"status": "204"}}
    if action == "Delete":
        service.delete(w, structure, row)
        return {"_responsemeta": {"status": "204"}}
    raise bad_value(f"BMXAA4195E - BULK _action {action!r} is not Add, Update, AddChange or Delete.")


def change_status(w: Write, structure: Structure, row: Row, body: dict[str, Any]) -> Row:
    if structure.kind != "workorder":
        raise bad_value(f"BMXAA4195E - changeStatus is a work order action, not one of {structure.name.upper()}.")
    if not body.get("status"):
        raise bad_value("BMXAA4195E - changeStatus needs a status.")
    return materials.change_status(w, row, str(body["status"]), body.get("memo"))


def adjust_balance(w: Write, structure: Structure, row: Row, body: dict[str, Any]) -> Row:
    if structure.kind != "invbalance":
        raise bad_value(
            f"BMXAA4195E - adjustCurrentBalance is an inventory balance action, not one of {structure.name.upper()}."
        )
    return materials.adjust_balance(w, row, {k.lower(): v for k, v in body.items()})
