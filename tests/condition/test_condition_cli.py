"""`mfg-sync sync condition` and `mfg-sync events status` as a user runs them, against the sandboxes."""

import json

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.condition_ingest import store_message
from sandbox import condition as publisher


@pytest.fixture
def cli_env(cond, tmp_path, monkeypatch):
    for name, value in {
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "MFG_SYNC_DATA_DIR": str(tmp_path / "data"),
        "MFG_SYNC_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",  # the harness's store of this test
        "MFG_SYNC_ERP_URL": cond.systems.url("erp"),
        "MFG_SYNC_EAM_URL": cond.systems.url("eam"),
        "MFG_SYNC_PLM_URL": cond.systems.url("plm"),
    }.items():
        monkeypatch.setenv(name, value)
    return cond


def test_sync_condition_prints_per_event_what_happened_and_events_status_shows_it(cli_env):
    store = cli_env.store()
    [good] = publisher.events("P-101", 11.2, 1)
    [unknown] = publisher.events("P-999", 11.2, 1)
    store_message(store, "plant/P1000/asset/P-101/condition", json.dumps(good).encode())
    store_message(store, "plant/P1000/asset/P-999/condition", json.dumps(unknown).encode())
    synced = CliRunner().invoke(main, ["sync", "condition"])
    assert synced.exit_code == 0, synced.output[-2000:]
    [wo] = cli_env.work_requests()
    assert good["event_id"] in synced.output and f"WO {wo['wonum']}" in synced.output
    assert "asset P-999 is not an EAM asset of site P1000" in synced.output
    shown = CliRunner().invoke(main, ["events", "status", "--asset", "P-101"])
    assert shown.exit_code == 0, shown.output[-2000:]
    [line] = [row for row in shown.output.splitlines() if good["event_id"] in row]
    assert "awaiting_approval" in line and f"WO {wo['wonum']}" in line
    assert unknown["event_id"] not in shown.output
