"""Records a blocking check stops are dead letters with the check's reason: everything that did not reach the
ERP is in `mfg-sync state dead-letters`."""

import pytest

from sync.keys import bom_item_key, item_number
from tests.sync_harness import sync_harness
from tests.validation.support import effective_lines, plm_row_changed

ASSEMBLY = "ASM-10004"
LONG_NUMBER = "PRT-" + "1" * 41  # 45 characters: more than the ERP's 40


@pytest.fixture
def plm(tmp_path):
    with sync_harness(tmp_path) as h:
        yield h


def blocked_letters(h):
    return [d for d in h.state().store().open_dead_letters() if d.error_code == "BLOCKED_BY_CHECK"]


def test_a_45_character_part_number_is_kept_as_a_dead_letter_with_the_checks_reason(plm):
    line = effective_lines(plm, ASSEMBLY)[0]
    with plm_row_changed(plm, "items", "number", LONG_NUMBER, "id", line["component_id"]):
        result = plm.sync(ASSEMBLY)

    assert not result.success and plm.stats("erp")["writes"] == 0
    [letter] = [d for d in blocked_letters(plm) if d.key == LONG_NUMBER]
    assert letter.entity == "material" and not letter.retryable
    assert letter.message.startswith("check plm/parts:plm_bom_pre_sync: ") and LONG_NUMBER in letter.message
    [run] = [r for r in plm.state().store().recent_runs() if r.id == letter.run_id]
    assert run.status == "failed" and run.reason.startswith("blocked by check plm/parts:plm_bom_pre_sync")


def test_a_quantity_that_rounds_to_zero_is_kept_as_a_dead_letter_of_its_bom_item(plm):
    line = next(line for line in effective_lines(plm, ASSEMBLY) if line["uom"] == "EA")
    with plm_row_changed(plm, "bom_lines", "quantity", "0.0004", "guid", line["guid"]):
        result = plm.sync(ASSEMBLY)

    assert not result.success
    key = bom_item_key(ASSEMBLY, "1000", "1", item_number(line["line_number"]))
    [letter] = [d for d in blocked_letters(plm) if d.key == key]
    assert letter.entity == "bom_item" and letter.message.startswith("check erp/bom_plan:erp_pre_apply: ")
    assert "greater than zero at the ERP's 3 decimals" in letter.message
