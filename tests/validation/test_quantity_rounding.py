"""Quantities with more decimals than the ERP keeps: a warning naming the record, the PLM value and what is
written; a quantity that rounds to 0 is refused and says so."""

import pytest

from assets.keys import FULL_EXTRACT_TAG
from sync.keys import bom_item_key, item_number
from tests.sync_harness import sync_harness
from tests.validation.support import check, effective_lines, plm_row_changed, table_rows

ASSEMBLY = "ASM-10004"


@pytest.fixture(scope="module")
def plm(tmp_path_factory):
    with sync_harness(tmp_path_factory.mktemp("rounding")) as h:
        yield h


def an_each_line(h):
    return next(line for line in effective_lines(h, ASSEMBLY) if line["uom"] == "EA")


def rounded_row(verdict, line) -> list[dict]:
    """The rounding warnings of this line's BOM item (the seed has others: 1200.5 mm is 1.2005 M)."""
    key = f"key={bom_item_key(ASSEMBLY, '1000', '1', item_number(line['line_number']))}"
    return [r for r in table_rows(verdict, "offending_rows") if r["column"] == "rounding" and r["row_key"] == key]


def test_a_quantity_with_more_decimals_than_the_erp_keeps_is_a_warning_naming_record_plm_value_and_written(plm):
    line = an_each_line(plm)
    with plm_row_changed(plm, "bom_lines", "quantity", "1.123456789012345", "guid", line["guid"]):
        # the row went straight into the PLM's store, with no change order: only a full extract reads it
        result = plm.sync(ASSEMBLY, tags={FULL_EXTRACT_TAG: "true"})

    assert result.success, "a rounded quantity warns, it does not block"
    verdict = check(result, "erp/bom_plan", "erp_pre_apply")
    assert verdict.passed and verdict.severity.value == "WARN"
    [row] = rounded_row(verdict, line)
    assert row["value"] == "PLM 1.123456789012345 EA is written as 1.123 EA: the ERP keeps 3 decimals"


def test_a_quantity_that_rounds_to_zero_is_refused_saying_it_rounds_to_zero_at_the_erps_precision(plm):
    line = an_each_line(plm)
    before = plm.stats("erp")["writes"]
    with plm_row_changed(plm, "bom_lines", "quantity", "0.0004", "guid", line["guid"]):
        # the row went straight into the PLM's store, with no change order: only a full extract reads it
        result = plm.sync(ASSEMBLY, tags={FULL_EXTRACT_TAG: "true"})

    verdict = check(result, "erp/bom_plan", "erp_pre_apply")
    assert not verdict.passed
    why = {r["column"]: r["why"] for r in table_rows(verdict, "failed_expectations")}
    assert (
        "greater than zero at the ERP's 3 decimals (a PLM quantity below 0.0005 rounds to 0)"
        in why["BillOfMaterialItemQuantity"]
    )
    [row] = rounded_row(verdict, line)
    assert "PLM 0.0004 EA" in row["value"] and "written as 0.000 EA" in row["value"]
    assert "0 at the ERP's precision" in row["value"]
    assert plm.stats("erp")["writes"] == before
