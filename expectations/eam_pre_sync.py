"""Suite `eam_pre_sync`: are the EAM extracts fit to become ERP reservations and goods issues?

Runs on the maintenance extract tables (`eam/work_order_materials`, `eam/material_transactions`) before they
are planned. It does not block: the planner turns each record it cannot map into a dead letter of its own
and posts the rest, so a single unmapped storeroom must not hold back a site's postings. The check shows in
the UI which records the ERP will refuse, with their keys, before the apply meets them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from expectations.gx_runtime import TableValidation, validate_table
from expectations.settings import CRITICAL, WARNING

SUITE = "eam_pre_sync"
LINE_KEYS = ("site", "work_order", "line_id")
TRANSACTION_KEYS = ("transaction_id",)
ISSUE_TYPES = ("ISSUE", "RETURN")


def _line_expectations(storerooms: list[str]):
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="item", severity=CRITICAL, description="every line names its item"),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=list(LINE_KEYS), severity=CRITICAL, description="each planned line appears once"
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="quantity", severity=CRITICAL, description="every line has a quantity"
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="quantity",
            min_value=0,
            strict_min=True,
            severity=CRITICAL,
            description="planned quantities are greater than zero",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="storeroom",
            value_set=storerooms,
            severity=CRITICAL,
            description="storerooms have an ERP plant and storage location in the spec",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="line_type",
            value_set=["ITEM"],
            severity=WARNING,
            description="only item lines are reserved (tools and services are not)",
        ),
    ]


def _transaction_expectations(storerooms: list[str]):
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(
            column="transaction_id", severity=CRITICAL, description="every transaction has its EAM id"
        ),
        gxe.ExpectColumnValuesToBeUnique(
            column="transaction_id", severity=CRITICAL, description="each transaction appears once"
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="work_order", severity=CRITICAL, description="every issue or return names its work order"
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="item", severity=CRITICAL, description="every transaction names its item"
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="issue_type",
            value_set=list(ISSUE_TYPES),
            severity=CRITICAL,
            description="transactions are issues or returns",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="signed_as_its_type",
            value_set=[True],
            severity=CRITICAL,
            description="an issue takes stock out (quantity < 0), a return brings it back (> 0)",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="storeroom",
            value_set=storerooms,
            severity=CRITICAL,
            description="storerooms have an ERP plant and storage location in the spec",
        ),
    ]


def _columns(frame: pd.DataFrame, table: str, names: Iterable[str]) -> pd.DataFrame:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(f"{SUITE}: the extract table {table} lacks column(s) {', '.join(missing)}")
    return frame[list(names)].astype(object)


def validate_work_order_materials(lines: pd.DataFrame, storerooms: Iterable[str]) -> TableValidation:
    """Planned material lines (`eam/work_order_materials`); `storerooms` are those the spec maps."""
    frame = _columns(lines, "eam_work_order_materials", (*LINE_KEYS, "item", "quantity", "storeroom", "line_type"))
    rooms = sorted(storerooms)
    return validate_table(SUITE, "eam_work_order_materials", frame, lambda: _line_expectations(rooms), LINE_KEYS)


def _signed_as_its_type(row: pd.Series) -> bool:
    if row["quantity"] is None or pd.isna(row["quantity"]):
        return False
    return (row["issue_type"] == "ISSUE" and row["quantity"] < 0) or (
        row["issue_type"] == "RETURN" and row["quantity"] > 0
    )


def validate_material_transactions(transactions: pd.DataFrame, storerooms: Iterable[str]) -> TableValidation:
    """Issues and returns (`eam/material_transactions`); `storerooms` are those the spec maps."""
    names = ("transaction_id", "work_order", "item", "storeroom", "quantity", "issue_type")
    frame = _columns(transactions, "eam_material_transactions", names)
    frame["signed_as_its_type"] = (
        frame.apply(_signed_as_its_type, axis=1).astype(object) if len(frame) else pd.Series(dtype=object)
    )
    rooms = sorted(storerooms)
    return validate_table(
        SUITE, "eam_material_transactions", frame, lambda: _transaction_expectations(rooms), TRANSACTION_KEYS
    )
