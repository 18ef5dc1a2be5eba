"""A failed `mfg-sync sync bom` says why (root cause, not Dagster's wrapper) and what it really wrote."""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from resources.state import StateStore
from sandbox.launcher import running_sandbox
from tests.validation.support import effective_lines, plm_row_changed

CLI = [str(Path(sys.executable).with_name("mfg-sync"))]
ASSEMBLY = "ASM-10002"
SPEC = Path(__file__).resolve().parents[2] / "mappings" / "plm_to_erp.yaml"


@pytest.fixture
def cli_env(tmp_path):
    with running_sandbox(None, overrides={"plm": {"rate_limit": None}}) as sandbox:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
            "MFG_SYNC_DATA_DIR": str(tmp_path / "data"),
            "MFG_SYNC_PLM_URL": sandbox.base_url("plm"),
            "MFG_SYNC_ERP_URL": sandbox.base_url("erp"),
            "MFG_SYNC_PLM_RATE_LIMIT": "100",
            "MFG_SYNC_ERP_BATCH_SIZE": "4",
            "MFG_SYNC_ERP_MAX_ATTEMPTS": "2",
            "MFG_SYNC_ERP_BACKOFF_INITIAL_S": "0.05",
            "MFG_SYNC_ERP_BACKOFF_MAX_S": "0.1",
            "MFG_SYNC_ERP_RETRY_BUDGET_S": "2",
        }
        yield env, sandbox.base_url("erp"), sandbox


def run(env, *args):
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)


def outage_once_writes_reach(erp_url: str, writes: int, stop: threading.Event) -> threading.Thread:
    def watch() -> None:
        while not stop.is_set():
            if httpx.get(f"{erp_url}/_sandbox/stats").json()["writes"] >= writes:
                httpx.put(f"{erp_url}/_sandbox/faults", json={"outage": True}).raise_for_status()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_run_failing_in_an_outage_prints_the_root_cause_and_what_was_really_written(cli_env):
    env, erp_url, _ = cli_env
    httpx.put(f"{erp_url}/_sandbox/faults", json={"latency_ms": 20}).raise_for_status()
    stop = threading.Event()
    watcher = outage_once_writes_reach(erp_url, 40, stop)
    try:
        result = run(env, "sync", "bom", "--assembly", ASSEMBLY)
    finally:
        stop.set()
        watcher.join(timeout=10)

    assert result.returncode == 1
    line = result.stdout
    assert "Error occurred while executing" not in line
    assert "erp:" in line and "503" in line and "sandbox outage" in line, line
    created, failed = (int(re.search(rf"{name} (\d+)", line).group(1)) for name in ("created", "failed"))
    store = StateStore(f"sqlite:///{Path(env['MFG_SYNC_DATA_DIR']) / 'state.db'}")
    try:
        run_id = re.search(r"run ([0-9a-f]{8})", line).group(1)
        [dagster_run] = {r.dagster_run_id for r in store.recent_runs() if r.dagster_run_id.startswith(run_id)}
        totals = store.totals_of_dagster_run(dagster_run)
    finally:
        store.dispose()
    assert created > 0 and failed > 0
    assert (created, failed) == (totals["created"], totals["dead_lettered"])


def test_a_spec_error_prints_its_file_entity_and_field_on_the_cli(cli_env, tmp_path):
    env, _, _ = cli_env
    bad = tmp_path / "misspelt.yaml"
    bad.write_text(SPEC.read_text().replace("target: BOMItemText2", "target: BOMItemTxt2"))

    result = run({**env, "MFG_SYNC_MAPPING_SPEC": str(bad)}, "sync", "bom", "--assembly", ASSEMBLY)

    assert result.returncode == 1
    assert f"{bad}: bom_item.BOMItemTxt2: target field 'BOMItemTxt2' is not a field of bom_item" in result.stdout


def test_records_a_blocking_check_stops_are_listed_on_the_cli(cli_env):
    env, _, sandbox = cli_env
    h = SimpleNamespace(sandbox=sandbox)
    line = effective_lines(h, "ASM-10004")[0]
    long_number = "PRT-" + "1" * 41
    with plm_row_changed(h, "items", "number", long_number, "id", line["component_id"]):
        result = run(env, "sync", "bom", "--assembly", "ASM-10004")

    assert result.returncode == 1
    assert f"not written: material {long_number}: check plm/parts:plm_bom_pre_sync: " in result.stdout
