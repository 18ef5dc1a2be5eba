"""JSON shapes of items, revisions, BOM lines and changes, following Arena's REST API v1 field names."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from typing import Any

from sandbox.plm.store import EFFECTIVE, SUPERSEDED, WORKING, PLMStore, seeded_guid

REVISION_STATUS = {WORKING: "WORKING", EFFECTIVE: "EFFECTIVE", SUPERSEDED: "SUPERSEDED"}


def number_out(text: str) -> int | float:
    """Quantities travel as JSON numbers, as Arena sends them (5, 1.5)."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def urls(base_url: str, guid: str, kind: str = "items") -> dict[str, str]:
    return {"api": f"{base_url}/v1/{kind}/{guid}", "app": f"{base_url}/app/{guid}"}


def named(kind: str, name: str) -> dict[str, str]:
    """Category and lifecycle phase references: {guid, name}, guids stable across seeds."""
    return {"guid": seeded_guid(kind, name), "name": name}


def item_ref(rev: sqlite3.Row | dict, number: str, name: str, base_url: str) -> dict[str, Any]:
    return {
        "guid": rev["guid"],
        "name": name,
        "number": number,
        "revisionNumber": rev["number"],
        "revisionStatus": REVISION_STATUS[rev["status"]],
        "url": urls(base_url, rev["guid"]),
    }


def additional_attributes(make_buy: str, attributes_json: str) -> list[dict[str, Any]]:
    attrs = {"makeBuy": make_buy, **json.loads(attributes_json)}
    return [
        {
            "apiName": key,
            "fieldType": "SINGLE_SELECT" if key == "makeBuy" else "SINGLE_LINE_TEXT",
            "guid": seeded_guid("attribute", key),
            "name": key,
            "value": value,
        }
        for key, value in attrs.items()
    ]


def item_view(rev: sqlite3.Row, base_url: str, with_attributes: bool = True) -> dict[str, Any]:
    """An item at one revision (the row comes from PLMStore.revision or the items query)."""
    body = {
        "guid": rev["guid"],
        "number": rev["item_number"],
        "name": rev["name"],
        "description": rev["description"],
        "revisionNumber": rev["number"],
        "revisionStatus": REVISION_STATUS[rev["status"]],
        "category": named("category", rev["category"]),
        "lifecyclePhase": named("phase", rev["lifecycle_phase"]),
        "uom": rev["uom"],
        "creationDateTime": rev["item_created_at"],
        "effectiveDateTime": rev["effective_at"],
        "url": urls(base_url, rev["guid"]),
    }
    if with_attributes:
        body["additionalAttributes"] = additional_attributes(rev["make_buy"], rev["attributes"])
    return body


def revision_view(rev: sqlite3.Row, change: sqlite3.Row | None, base_url: str) -> dict[str, Any]:
    change_body: dict[str, Any] = {"guid": None, "deviated": False, "creationDateTime": rev["created_at"]}
    if change is not None:
        change_body = {
            "guid": change["guid"],
            "number": change["number"],
            "deviated": False,
            "creationDateTime": change["created_at"],
            "effectiveDateTime": change["effective_at"],
        }
    return {
        "guid": rev["guid"],
        "number": rev["number"],
        "status": rev["status"],
        "notes": None,
        "lifecyclePhase": named("phase", rev["lifecycle_phase"]),
        "change": change_body,
        "effectiveDateTime": rev["effective_at"],
        "supersededDateTime": rev["superseded_at"],
        "url": urls(base_url, rev["guid"]),
    }


def component_ref(store: PLMStore, component_id: int, base_url: str) -> dict[str, Any]:
    item = store.one("SELECT number, name, uom FROM items WHERE id = ?", (component_id,))
    rev = store.current_revision(component_id)
    ref = item_ref(rev, item["number"], item["name"], base_url)
    ref["uom"] = item["uom"]  # sandbox extension: the component's unit, so a BOM line reads on its own
    return ref


def bom_line_view(line: sqlite3.Row, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "guid": line["guid"],
        "lineNumber": line["line_number"],
        "quantity": number_out(line["quantity"]),
        "refDes": line["ref_des"] or None,
        "notes": line["notes"] or None,
        "item": item,
    }


def change_view(change: sqlite3.Row, base_url: str) -> dict[str, Any]:
    return {
        "guid": change["guid"],
        "number": change["number"],
        "title": change["title"],
        "description": change["description"],
        "category": named("change-category", "ECO"),
        "lifecycleStatus": {"type": change["status"]},
        "creationDateTime": change["created_at"],
        "effectiveDateTime": change["effective_at"],
        "url": urls(base_url, change["guid"], "changes"),
    }
