"""An engineer's change order in the sandbox PLM, made over its own REST API: create the change, put the item
on it, edit the working revision's BOM lines (quantity, add, remove), and release it (EFFECTIVE).

Used by `mfg-sync sandbox change` and by tests; it goes through the same HTTP calls a person's Arena client
makes, so the PLM raises its webhooks and the next sync sees a new effective revision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx


class ChangeOrderError(Exception):
    """The PLM refused a step of the change order; the message names the item, line and PLM answer."""


@dataclass(frozen=True)
class NewLine:
    """A BOM line to add: find number, component item number and quantity."""

    line: int
    component: str
    quantity: Decimal


@dataclass
class BomEdits:
    """What the change order does to one item's BOM (find number -> new quantity; lines to add or remove)."""

    quantities: Mapping[int, Decimal] = field(default_factory=dict)
    add: list[NewLine] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)
    category: str | None = None  # the item's new category (e.g. no longer an assembly)


def _checked(response: httpx.Response, what: str) -> Any:
    if response.status_code >= 400:
        raise ChangeOrderError(f"{what}: PLM answered {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else None


def _item(http: httpx.Client, number: str) -> dict[str, Any]:
    found = _checked(http.get("/items", params={"number": number}), f"item {number}")["results"]
    if not found:
        raise ChangeOrderError(f"item {number} is not in the PLM")
    return found[0]


def _working_guid(http: httpx.Client, item_guid: str, number: str) -> str:
    """The guid that addresses the item's working revision (where a change order's BOM edits go)."""
    revisions = _checked(http.get(f"/items/{item_guid}/revisions"), f"revisions of {number}")["results"]
    working = [r for r in revisions if r.get("status") == 0]
    return working[0]["guid"] if working else item_guid


def _check_edits(http: httpx.Client, number: str, item_guid: str, edits: BomEdits) -> None:
    """Refuse unknown lines and components before a change order exists (a refused one would stay open)."""
    lines = _checked(http.get(f"/items/{item_guid}/bom"), f"BOM of {number}")["results"]
    unknown = sorted((set(edits.quantities) | set(edits.remove)) - {line["lineNumber"] for line in lines})
    if unknown:
        raise ChangeOrderError(f"item {number} has no BOM line {', '.join(map(str, unknown))}")
    for new in edits.add:
        _item(http, new.component)


def _edit_bom(http: httpx.Client, number: str, owner: str, item_guid: str, edits: BomEdits) -> None:
    lines = _checked(
        http.get(f"/items/{item_guid}/bom", params={"revisionStatus": "WORKING"}), f"working BOM of {number}"
    )["results"]
    by_number = {line["lineNumber"]: line for line in lines}
    for line_number, quantity in sorted(edits.quantities.items()):
        line = by_number[line_number]
        body = {"item": {"guid": line["item"]["guid"]}, "quantity": float(quantity), "lineNumber": line_number}
        _checked(http.put(f"/items/{owner}/bom/{line['guid']}", json=body), f"{number} line {line_number}")
    for line_number in sorted(edits.remove):
        _checked(http.delete(f"/items/{owner}/bom/{by_number[line_number]['guid']}"), f"{number} line {line_number}")
    for new in edits.add:
        component = _item(http, new.component)
        body = {"item": {"guid": component["guid"]}, "quantity": float(new.quantity), "lineNumber": new.line}
        _checked(http.post(f"/items/{owner}/bom", json=body), f"{number} new line {new.line}")


def release_change(
    plm_url: str,
    number: str,
    edits: BomEdits,
    *,
    email: str,
    password: str,
    workspace_id: int,
    title: str | None = None,
    timeout_s: float = 30.0,
) -> str:
    """Make, fill and release a change order for item `number`; returns the change's number (e.g. ECO-002001)."""
    with httpx.Client(base_url=f"{plm_url.rstrip('/')}/v1", timeout=timeout_s) as http:
        login = _checked(
            http.post("/login", json={"email": email, "password": password, "workspaceId": workspace_id}), "login"
        )
        http.headers["arena_session_id"] = login["arenaSessionId"]
        item = _item(http, number)
        _check_edits(http, number, item["guid"], edits)
        change = _checked(
            http.post(
                "/changes",
                json={
                    "title": title or f"BOM change of {number}",
                    "items": [{"affectedItemRevision": {"guid": item["guid"]}}],
                },
            ),
            f"change order for {number}",
        )
        if edits.category:  # an item-level field: Arena does not revision it
            _checked(
                http.put(f"/items/{item['guid']}", json={"category": {"name": edits.category}}), f"category of {number}"
            )
        _edit_bom(http, number, _working_guid(http, item["guid"], number), item["guid"], edits)
        _checked(
            http.post("/changes/statuschanges", json={"change": {"guid": change["guid"]}, "status": "EFFECTIVE"}),
            f"release of {change['number']}",
        )
        return str(change["number"])
