"""Reconciliation: clean after a sync; drift made in the ERP shows as exactly those differences in the
table, the HTML report and the metadata (and fails the check); the next bom_sync restores agreement."""

from decimal import Decimal

import pandas as pd
import pytest

from tests.sync_harness import sync_harness
from tests.validation.support import check, drift_erp_bom, parse_report, reconcile, table_rows

ASSEMBLY = "ASM-10004"
HEADER = f"{ASSEMBLY}|1000|1"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("recon")
    with pytest.MonkeyPatch.context() as env, sync_harness(tmp) as h:
        env.setenv("MFG_SYNC_DATA_DIR", str(tmp / "data"))
        first = h.sync(ASSEMBLY)
        assert first.success
        yield {"h": h, "first_sync": first}


@pytest.fixture(scope="module")
def clean(world):
    return reconcile(world["h"], ASSEMBLY)


@pytest.fixture(scope="module")
def drifted(world, clean):
    h = world["h"]
    with h.erp().client() as erp:
        items = erp.read_bom(ASSEMBLY, "1000", "1").items
    edited, deleted = items[0], items[1]
    new_quantity = Decimal(str(edited["BillOfMaterialItemQuantity"])) + 7
    drift_erp_bom(
        h, ASSEMBLY, edited["BillOfMaterialItemNumber"], str(new_quantity), deleted["BillOfMaterialItemNumber"]
    )
    return {"result": reconcile(h, ASSEMBLY), "edited": edited, "deleted": deleted, "new_quantity": new_quantity}


@pytest.fixture(scope="module")
def restored(world, drifted):
    h = world["h"]
    resync = h.sync(ASSEMBLY)
    return {"resync": resync, "result": reconcile(h, ASSEMBLY)}


def output(result) -> pd.DataFrame:
    return result.output_for_node("reconciliation__bom")


def materialization(result):
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "reconciliation/bom"
    ]
    return event.event_specific_data.materialization.metadata


def test_sync_runs_every_validation_suite_and_they_pass(world):
    verdicts = {
        (e.asset_key.to_user_string(), e.check_name): e for e in world["first_sync"].get_asset_check_evaluations()
    }
    for asset, suite in [
        ("plm/parts", "plm_bom_pre_sync"),
        ("plm/bom_lines", "plm_bom_pre_sync"),
        ("erp/material_plan", "erp_pre_apply"),
        ("erp/bom_plan", "erp_pre_apply"),
        ("erp/materials", "erp_post_sync"),
        ("erp/boms", "erp_post_sync"),
    ]:
        assert verdicts[(asset, suite)].passed, (asset, suite)


def test_warnings_pass_with_warn_severity_and_name_the_row(world):
    parts = check(world["first_sync"], "plm/parts", "plm_bom_pre_sync")
    assert parts.passed and parts.severity.value == "WARN"
    assert parts.metadata["warnings"].value >= 1
    rows = table_rows(parts, "offending_rows")
    assert any(r["column"] == "name" and len(r["value"]) > 40 and r["row_key"].startswith("number=") for r in rows)


def test_after_a_clean_sync_reconciliation_finds_no_difference(clean):
    assert output(clean).empty
    assert materialization(clean)["differences"].value == 0
    verdict = check(clean, "reconciliation/bom", "systems_agree")
    assert verdict.passed


def test_clean_report_parses_with_zero_counts(clean):
    report = parse_report(materialization(clean)["report_path"].value)
    summary = report.tables["summary"]
    assert summary[0] == ["kind", "differences"]
    assert all(row[1] == "0" for row in summary[1:]) and len(summary) > 1
    assert "differences" not in report.tables  # no empty table when the systems agree: it says so
    assert report.texts["no-differences"] == "No differences."
    assert "agree" in report.texts["verdict"]


def test_erp_drift_shows_exactly_the_two_differences_in_the_table(drifted):
    frame = output(drifted["result"])
    edited_key = f"{HEADER}|{drifted['edited']['BillOfMaterialItemNumber']}"
    deleted_key = f"{HEADER}|{drifted['deleted']['BillOfMaterialItemNumber']}"
    rows = sorted(frame[["kind", "key", "field"]].itertuples(index=False, name=None))
    assert rows == sorted(
        [("quantity", edited_key, "BillOfMaterialItemQuantity"), ("missing_in_erp", deleted_key, "*")]
    )
    quantity_row = frame[frame["kind"] == "quantity"].iloc[0]
    assert Decimal(quantity_row["erp_value"]) == drifted["new_quantity"]
    assert quantity_row["assembly"] == ASSEMBLY


def test_erp_drift_shows_in_the_metadata_and_fails_the_check(drifted):
    metadata = materialization(drifted["result"])
    assert metadata["differences"].value == 2
    assert metadata["diff_quantity"].value == 1 and metadata["diff_missing_in_erp"].value == 1
    assert metadata["diff_extra_in_erp"].value == 0
    assert drifted["deleted"]["BillOfMaterialItemNumber"] in metadata["summary"].value
    verdict = check(drifted["result"], "reconciliation/bom", "systems_agree")
    assert not verdict.passed and verdict.severity.value == "ERROR"


def test_erp_drift_shows_in_the_html_report(drifted):
    report = parse_report(materialization(drifted["result"])["report_path"].value)
    counts = {row[0]: row[1] for row in report.tables["summary"][1:]}
    assert counts["quantity"] == "1" and counts["missing_in_erp"] == "1"
    header, *rows = report.tables["differences"]
    assert len(rows) == 2
    keys = {row[header.index("key")] for row in rows}
    assert keys == {
        f"{HEADER}|{drifted['edited']['BillOfMaterialItemNumber']}",
        f"{HEADER}|{drifted['deleted']['BillOfMaterialItemNumber']}",
    }
    by_assembly = report.tables["by-assembly"]
    assert by_assembly[1][0] == ASSEMBLY and by_assembly[1][-1] == "2"
    assert "2 difference" in report.texts["verdict"]


def test_next_bom_sync_restores_the_erp_and_reconciliation_is_clean(restored):
    assert restored["resync"].success
    assert output(restored["result"]).empty
    assert check(restored["result"], "reconciliation/bom", "systems_agree").passed


def test_the_difference_table_names_the_component_and_its_description(drifted):
    frame = output(drifted["result"])
    edited = frame[frame["field"] == "BillOfMaterialItemQuantity"].iloc[0]
    assert edited["component"] == drifted["edited"]["BillOfMaterialComponent"]
    assert edited["description"]  # the PLM's name of that component


def test_the_markdown_summary_escapes_keys_with_pipes(drifted):
    summary = materialization(drifted["result"])["summary"].value
    row = next(line for line in summary.splitlines() if HEADER.replace("|", "\\|") in line)
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert len(cells) == 9  # kind, entity, assembly, key, component, description, field, plm, erp: no key split
