"""What a person reads of a plan: one row per changed field, with the component and its description.

A whole record as JSON hides a 4 -> 6 quantity change among forty fields; a row per field shows it.
Creates and deletes are one row per record (field "*"), since every field is new or gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from sync.cells import cell_text
from sync.plan import PlanItem

FIELD_CHANGE_COLUMNS = ["op", "entity", "key", "component", "description", "field", "before", "after"]
# where each entity keeps the material it is about (a BOM item: its component)
_COMPONENT_FIELD = {"material": "Product", "bom_header": "Material", "bom_item": "BillOfMaterialComponent"}


def field_changes(items: Iterable[PlanItem], descriptions: Mapping[str, str]) -> list[dict[str, str]]:
    """Rows for every item that writes something; `descriptions` maps a material number to its text."""
    rows = []
    for item in items:
        if item.op == "unchanged":
            continue
        record = item.after or item.before or {}
        component = str(record.get(_COMPONENT_FIELD.get(item.entity, ""), "") or "")
        base = {
            "op": item.op,
            "entity": item.entity,
            "key": item.key,
            "component": component,
            "description": descriptions.get(component, ""),
        }
        if item.op == "update":
            rows += [
                {
                    **base,
                    "field": name,
                    "before": cell_text((item.before or {}).get(name)),
                    "after": cell_text((item.after or {}).get(name)),
                }
                for name in item.changed_fields
            ]
        else:
            rows.append({**base, "field": "*", "before": cell_text(item.before), "after": cell_text(item.after)})
    return rows


def plan_items_of(frame: pd.DataFrame) -> list[PlanItem]:
    """The plan items of a stored plan table (errors and conflicts left out)."""
    return [
        PlanItem.from_dict(json.loads(detail))
        for op, detail in zip(frame["op"], frame["detail"], strict=True)
        if op not in ("error", "conflict")
    ]


def shown_note(shown: int, total: int, what: str, where: str) -> str:
    """Say plainly when a table is cut: "200 of 723 changed fields shown; all of them: <where>"."""
    if shown >= total:
        return f"all {total} {what} shown"
    return f"{shown} of {total} {what} shown; all of them: {where}"


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[str]:
    """Markdown lines of a table whose cells may hold `|`, backslashes or line breaks."""

    def cell(value: Any) -> str:
        return cell_text(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")

    return [
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows),
    ]
