"""ERP-shaped tables for the suites: plan rows to write, and what the ERP holds, one column per SAP field."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

WRITE_OPS = ("create", "update")
MATERIAL_COLUMNS = ("Product", "ProductDescription", "ProductType", "BaseUnit", "ProcurementType", "Plant")
HEADER_COLUMNS = ("Material", "Plant", "BillOfMaterialVariantUsage", "BOMHeaderBaseUnit", "BOMHeaderQuantityInBaseUnit")
ITEM_COLUMNS = (
    "Material",
    "BillOfMaterialItemNumber",
    "BillOfMaterialComponent",
    "BillOfMaterialItemCategory",
    "BillOfMaterialItemQuantity",
    "BillOfMaterialItemUnit",
    "BOMItemDescription",
    "BOMItemText2",
)
COLUMNS = {"material": MATERIAL_COLUMNS, "bom_header": HEADER_COLUMNS, "bom_item": ITEM_COLUMNS}
QUANTITIES = ("BOMHeaderQuantityInBaseUnit", "BillOfMaterialItemQuantity")


def decimal_text(value: Any) -> str | None:
    """A quantity as plain decimal text without trailing zeros ('0.250' -> '0.25'); None if not a number."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)  # left as given: the precision expectation names it
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _quantity(value: Any) -> Any:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value


def payload_frame(entity: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows of (key, op, payload) -> one column per SAP field, plus `<quantity>_text` for precision checks."""
    columns = COLUMNS[entity]
    records = []
    for row in rows:
        payload = row.get("payload") or {}
        record = {"key": row["key"], "op": row.get("op", ""), **{c: payload.get(c) for c in columns}}
        for name in QUANTITIES:
            if name in columns:
                record[name] = _quantity(record[name])
                record[f"{name}_text"] = decimal_text(record[name])
        records.append(record)
    names = ["key", "op", *columns, *(f"{q}_text" for q in QUANTITIES if q in columns)]
    return pd.DataFrame(records, columns=names).astype(object)


def plan_writes(plan: pd.DataFrame, entity: str) -> pd.DataFrame:
    """The creates and updates of one entity in a plan table (see sync/frames.py), as a payload frame."""
    wanted = plan[(plan["entity"] == entity) & (plan["op"].isin(WRITE_OPS))]
    rows = [
        {"key": key, "op": op, "payload": json.loads(after) if after else {}}
        for key, op, after in zip(wanted["key"], wanted["op"], wanted["after"], strict=True)
    ]
    return payload_frame(entity, rows)


def plan_ops(plan: pd.DataFrame) -> pd.DataFrame:
    """Entity, key, op and detail of every plan row (mapping errors and conflicts included)."""
    return plan.reindex(columns=["entity", "key", "op", "changed_fields"]).astype(object)
