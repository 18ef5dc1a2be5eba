"""Suite `eam_pre_sync` on the maintenance extracts: what the ERP would refuse is named by its keys."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from expectations.eam_pre_sync import validate_material_transactions, validate_work_order_materials
from expectations.gx_results import to_check_result

STOREROOMS = ["CENTRAL", "MAINT"]


def lines(**changes) -> pd.DataFrame:
    row = {
        "site": "P1000",
        "work_order": "WO-1",
        "line_id": 1,
        "item": "PRT-1",
        "quantity": Decimal("2"),
        "storeroom": "CENTRAL",
        "line_type": "ITEM",
    }
    return pd.DataFrame([row, {**row, "line_id": 2, **changes}])


def transactions(**changes) -> pd.DataFrame:
    row = {
        "transaction_id": 101,
        "work_order": "WO-1",
        "item": "PRT-1",
        "storeroom": "CENTRAL",
        "quantity": Decimal("-3"),
        "issue_type": "ISSUE",
    }
    return pd.DataFrame([row, {**row, "transaction_id": 102, **changes}])


def failed(validation) -> dict[str, int]:
    """Description of each failed expectation -> how many rows it found."""
    return {
        r.expectation_config.description: r.result.get("unexpected_count", 0)
        for r in validation.result.results
        if not r.success
    }


def test_sound_planned_lines_and_transactions_pass():
    assert to_check_result([validate_work_order_materials(lines(), STOREROOMS)]).passed
    assert to_check_result([validate_material_transactions(transactions(), STOREROOMS)]).passed


def test_a_planned_line_from_an_unmapped_storeroom_fails_naming_the_line():
    validation = validate_work_order_materials(lines(storeroom="YARD"), STOREROOMS)
    assert failed(validation) == {"storerooms have an ERP plant and storage location in the spec": 1}
    assert not to_check_result([validation]).passed


def test_a_zero_planned_quantity_fails():
    validation = validate_work_order_materials(lines(quantity=Decimal(0)), STOREROOMS)
    assert failed(validation) == {"planned quantities are greater than zero": 1}


def test_a_service_line_is_a_warning_only():
    result = to_check_result([validate_work_order_materials(lines(line_type="SERVICE"), STOREROOMS)])
    assert result.passed and result.metadata["warnings"].value == 1


def test_an_issue_signed_as_a_return_fails():
    validation = validate_material_transactions(transactions(quantity=Decimal("3")), STOREROOMS)
    assert failed(validation) == {"an issue takes stock out (quantity < 0), a return brings it back (> 0)": 1}


def test_a_transaction_read_twice_fails():
    validation = validate_material_transactions(transactions(transaction_id=101), STOREROOMS)
    assert failed(validation) == {"each transaction appears once": 2}


def test_an_empty_extract_passes():
    empty = transactions().iloc[0:0]
    assert to_check_result([validate_material_transactions(empty, STOREROOMS)]).passed
