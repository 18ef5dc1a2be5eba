"""Maximo field dicts become canonical records; unreadable data names the record and the field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from resources.eam import records
from resources.eam.records import EAMDataError


def test_a_work_order_with_reserved_lines_becomes_records():
    data = {
        "wonum": "1001",
        "siteid": "P1000",
        "status": "APPR",
        "wopriority": 2,
        "_rowstamp": "42",
        "reportdate": "2026-01-05T07:00:00+00:00",
        "wpmaterial": [{"wpitemid": 7, "itemnum": "PRT-1", "itemqty": 2.0, "location": "CENTRAL"}],
        "invreserve": [{"invreserveid": 9, "wpitemid": 7, "reservedqty": 2.0, "actualqty": 0.5}],
    }
    wo = records.work_order(data)
    assert (wo.key, wo.priority, wo.rowstamp, wo.reported_at) == (
        ("P1000", "1001"),
        2,
        42,
        datetime(2026, 1, 5, 7, tzinfo=UTC),
    )
    [line] = records.work_order_materials(data)
    assert (line.key, line.quantity, line.reserved_quantity, line.actual_quantity, line.reservation_id) == (
        ("P1000", "1001", 7),
        Decimal("2.0"),
        Decimal("2.0"),
        Decimal("0.5"),
        9,
    )


def test_a_work_order_without_status_names_the_record_and_field():
    with pytest.raises(EAMDataError, match=r"work order P1000/1001: field 'status' is missing"):
        records.work_order({"wonum": "1001", "siteid": "P1000"})


def test_a_transaction_with_a_bad_quantity_names_the_transaction_and_field():
    bad = {
        "matusetransid": 5,
        "refwo": "1001",
        "siteid": "P1000",
        "itemnum": "PRT-1",
        "storeloc": "CENTRAL",
        "quantity": "lots",
        "issuetype": "ISSUE",
    }
    with pytest.raises(EAMDataError, match=r"material transaction 5: field 'quantity' is not a number"):
        records.material_transaction(bad)


def test_an_unknown_issue_type_is_refused():
    bad = {
        "matusetransid": 5,
        "refwo": "1001",
        "siteid": "P1000",
        "itemnum": "PRT-1",
        "storeloc": "CENTRAL",
        "quantity": -1,
        "issuetype": "TRANSFER",
    }
    with pytest.raises(EAMDataError, match="issuetype"):
        records.material_transaction(bad)
