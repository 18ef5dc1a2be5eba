"""The pre-apply suite blocks a plan the ERP would refuse; sync statistics and `mfg-sync reconcile` over real runs."""

import sys

import pytest
import yaml
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.settings import mapping_spec_path
from resources.state import StateStore
from tests.sync_harness import sync_harness
from tests.validation.support import check, drift_erp_bom, sync_statistics_run, table_rows

ASSEMBLY = "ASM-10004"


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("apply")
    with pytest.MonkeyPatch.context() as env, sync_harness(tmp) as h:
        env.setenv("MFG_SYNC_DATA_DIR", str(tmp / "data"))
        yield h


def test_description_longer_than_the_erp_allows_fails_pre_apply_and_nothing_is_written(harness, tmp_path, monkeypatch):
    raw = yaml.safe_load(mapping_spec_path().read_text())
    for field in raw["entities"]["material"]["fields"]:
        if field["target"] == "ProductDescription":
            field["transforms"] = ["trim"]  # an analyst dropped the truncation
    spec = tmp_path / "no_truncate.yaml"
    spec.write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("MFG_SYNC_MAPPING_SPEC", str(spec))
    before = harness.stats("erp")["writes"]
    result = harness.sync(ASSEMBLY)
    assert harness.stats("erp")["writes"] == before
    verdict = check(result, "erp/material_plan", "erp_pre_apply")
    assert not verdict.passed and verdict.severity.value == "ERROR"
    long_names = [r for r in table_rows(verdict, "offending_rows") if r["column"] == "ProductDescription"]
    assert long_names and all(len(r["value"]) > 40 and r["row_key"].startswith("key=") for r in long_names)
    assert "erp/materials" not in {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_sync_statistics_per_flow_and_assembly(harness):
    assert harness.sync(ASSEMBLY).success
    result = sync_statistics_run(harness)
    frame = result.output_for_node("monitoring__sync_statistics")
    row = frame[(frame["flow"] == "bom_sync") & (frame["partition"] == ASSEMBLY)].iloc[0]
    # a run the pre-apply check blocked earlier in this module is a failed run with its blocked records
    blocked = [r for r in harness.state().store().recent_runs("bom_sync", ASSEMBLY) if r.status == "failed"]
    assert row["runs"] == 1 + len(blocked) and row["succeeded"] == 1
    assert row["errors"] == sum(r.counts["failed"] for r in blocked)
    assert row["records_processed"] > 0 and row["last_success_at"]
    [event] = result.get_asset_materialization_events()
    metadata = event.event_specific_data.materialization.metadata
    assert metadata["bom_sync_success_rate"].value == round(1 / (1 + len(blocked)), 4)
    assert metadata["partitions"].value == 1


def test_success_rate_counts_failed_and_partial_runs(tmp_path):
    from assets.sync_statistics import statistics_frame

    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    for status, failed in (("succeeded", 0), ("failed", 0), ("partial", 2), ("succeeded", 0)):
        run = store.start_run("bom_sync", "ASM-1", f"corr-{status}-{failed}")
        store.finish_run(run, status, {"created": 3, "failed": failed})
    frame = statistics_frame(store.recent_runs(limit=100), 20, store.last_successful_run)
    store.dispose()
    [row] = frame.to_dict("records")
    assert (row["runs"], row["succeeded"], row["failed"], row["partial"]) == (4, 2, 1, 1)
    assert row["success_rate"] == 0.5 and row["errors"] == 2 and row["last_status"] == "succeeded"


def run_cli(h, tmp_path, monkeypatch, *args):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("MFG_SYNC_PLM_URL", h.url("plm"))
    monkeypatch.setenv("MFG_SYNC_ERP_URL", h.url("erp"))
    monkeypatch.setenv("MFG_SYNC_STORAGE_DIR", str(tmp_path / "tables"))
    monkeypatch.setenv("MFG_SYNC_STATE_URL", f"sqlite:///{h.tmp / 'state.db'}")
    monkeypatch.delitem(sys.modules, "orchestration.definitions", raising=False)  # resources read from this env
    return CliRunner().invoke(main, ["reconcile", *args])


def test_cli_reconcile_prints_counts_and_report_and_exits_1_on_difference(harness, tmp_path, monkeypatch):
    with harness.erp().client() as erp:
        items = erp.read_bom(ASSEMBLY, "1000", "1").items
    drift_erp_bom(harness, ASSEMBLY, items[0]["BillOfMaterialItemNumber"], "999", items[2]["BillOfMaterialItemNumber"])
    drifted = run_cli(harness, tmp_path, monkeypatch, "--assembly", ASSEMBLY)
    assert drifted.exit_code == 1, drifted.output
    lines = dict(line.split(None, 1) for line in drifted.stdout.splitlines() if line and not line.startswith("report"))
    assert lines["quantity"].strip() == "1" and lines["missing_in_erp"].strip() == "1" and lines["total"].strip() == "2"
    report = [line for line in drifted.stdout.splitlines() if line.startswith("report: ")][0].removeprefix("report: ")
    assert report.endswith(".html") and str(tmp_path) not in report  # under $MFG_SYNC_DATA_DIR/reports
    assert harness.sync(ASSEMBLY).success
    agreed = run_cli(harness, tmp_path, monkeypatch, "--assembly", ASSEMBLY)
    assert agreed.exit_code == 0, agreed.output
    assert "agree" in agreed.stdout
