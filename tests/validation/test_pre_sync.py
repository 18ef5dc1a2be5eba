"""Bad PLM data fails the blocking pre-sync suite: nothing reaches the ERP, and the check names the rows.

The sandbox PLM's API refuses some bad data, so each case is put straight into its store, as a PLM that
does not validate would hold it; the row is put back after the case.
"""

import pandas as pd
import pytest

from assets.keys import FULL_EXTRACT_TAG
from expectations import plm_bom_pre_sync
from expectations.gx_results import to_check_result
from orchestration.settings import load_mapping_spec
from tests.sync_harness import sync_harness
from tests.validation.support import check, effective_lines, plm_row_changed, table_rows

ASSEMBLY = "ASM-10004"
WRITES_AFTER = ("erp/material_plan", "erp/bom_plan", "erp/materials", "erp/boms")


@pytest.fixture(scope="module")
def plm(tmp_path_factory):
    with sync_harness(tmp_path_factory.mktemp("presync")) as h:
        yield h


class Verdicts:
    """The pre-sync suite's verdicts by asset, as AssetCheckResult-like objects (passed, severity, metadata)."""

    def __init__(self, by_asset: dict) -> None:
        self.by_asset = by_asset


def suite_on_stored_extract(h) -> Verdicts:
    """The suite run by the checks' own code on the extract tables the failed run stored."""
    units = load_mapping_spec().units.keys()
    tables = h.tmp / "tables"
    parts = pd.read_parquet(tables / "plm/parts" / f"{ASSEMBLY}.parquet")
    lines = pd.read_parquet(tables / "plm/bom_lines" / f"{ASSEMBLY}.parquet")
    return Verdicts(
        {
            "plm/parts": to_check_result([plm_bom_pre_sync.validate_parts(parts, units)]),
            "plm/bom_lines": to_check_result([plm_bom_pre_sync.validate_bom_lines(lines, parts, units)]),
        }
    )


def attempt(h):
    """Run the whole bom_sync; return (its result, ERP writes during it, the pre-sync suite's verdicts).

    On structural faults the extract's own blocking `bom_structure` check fails the extract step, so Dagster
    skips the suite's checks in that run; the suite is then run on the very extract that run stored.
    """
    before = h.stats("erp")["writes"]
    # the bad row went straight into the PLM's store, with no change order: only a full extract reads it
    result = h.sync(ASSEMBLY, tags={FULL_EXTRACT_TAG: "true"})
    writes = h.stats("erp")["writes"] - before
    ran = {e.check_name for e in result.get_asset_check_evaluations()}
    return result, writes, (result if "plm_bom_pre_sync" in ran else suite_on_stored_extract(h))


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def offending(evaluation) -> list[str]:
    return [row["row_key"] for row in table_rows(evaluation, "offending_rows")]


def assert_blocked(result, writes: int) -> None:
    assert writes == 0
    assert not result.success
    assert not materialized(result) & set(WRITES_AFTER)


def test_negative_quantity_fails_pre_sync_and_nothing_is_written(plm):
    line = effective_lines(plm, ASSEMBLY)[0]
    with plm_row_changed(plm, "bom_lines", "quantity", "-2", "guid", line["guid"]):
        result, writes, verdicts = attempt(plm)
    verdict = check(verdicts, "plm/bom_lines", "plm_bom_pre_sync")
    assert not verdict.passed and verdict.severity.value == "ERROR"
    failed = [r for r in table_rows(verdict, "failed_expectations") if r["column"] == "quantity"]
    assert failed and failed[0]["severity"] == "critical" and failed[0]["unexpected_count"] == "1"
    assert (
        f"parent_number={ASSEMBLY} / find_number={line['line_number']} / component_number={line['component']}"
        in offending(verdict)
    )
    assert_blocked(result, writes)


def test_unknown_unit_fails_pre_sync_and_nothing_is_written(plm):
    line = effective_lines(plm, ASSEMBLY)[0]
    with plm_row_changed(plm, "items", "uom", "furlong", "id", line["component_id"]):
        result, writes, verdicts = attempt(plm)
    parts = check(verdicts, "plm/parts", "plm_bom_pre_sync")
    assert not parts.passed
    assert f"number={line['component']}" in offending(parts)
    assert any(r["column"] == "uom" and r["value"] == "furlong" for r in table_rows(parts, "offending_rows"))
    # the line-level checks read plm_parts, so Dagster skips them once the parts check has blocked
    assert_blocked(result, writes)


def test_duplicated_find_number_fails_pre_sync_and_nothing_is_written(plm):
    first, second = effective_lines(plm, ASSEMBLY)[:2]
    with plm_row_changed(plm, "bom_lines", "line_number", first["line_number"], "guid", second["guid"]):
        result, writes, verdicts = attempt(plm)
    verdict = check(verdicts, "plm/bom_lines", "plm_bom_pre_sync")
    assert not verdict.passed
    duplicates = [
        r["row_key"] for r in table_rows(verdict, "offending_rows") if r["column"] == "parent_number,find_number"
    ]
    prefix = f"parent_number={ASSEMBLY} / find_number={first['line_number']} / component_number="
    assert sorted(duplicates) == sorted(prefix + line["component"] for line in (first, second))
    assert_blocked(result, writes)


def test_malformed_part_number_fails_pre_sync_and_nothing_is_written(plm):
    line = effective_lines(plm, ASSEMBLY)[0]
    with plm_row_changed(plm, "items", "number", "prt 12/x", "id", line["component_id"]):
        result, writes, verdicts = attempt(plm)
    parts = check(verdicts, "plm/parts", "plm_bom_pre_sync")
    assert not parts.passed
    assert "number=prt 12/x" in offending(parts)
    assert "part numbers follow the configured pattern" in parts.metadata["summary"].value
    assert_blocked(result, writes)
