"""A `mfg-sync sync bom` killed during the apply must not block the next one: it frees the dead run's slot."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest

from orchestration.instance_config import ensure_local_instance
from resources.state import StateStore
from sandbox.launcher import running_sandbox

CLI = [str(Path(sys.executable).with_name("mfg-sync"))]
ASSEMBLY = "ASM-10002"


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
        }
        yield env, sandbox.base_url("erp")


def erp_writes(erp_url: str) -> int:
    return httpx.get(f"{erp_url}/_sandbox/stats").json()["writes"]


def one_erp_slot(dagster_home: str) -> None:
    """As a plant sets it (`dagster instance concurrency set erp_api 1`): one run writes to the ERP at a time."""
    instance = dg.DagsterInstance.from_config(str(ensure_local_instance(Path(dagster_home)).parent))
    try:
        instance.event_log_storage.set_concurrency_slots("erp_api", 1)
    finally:
        instance.dispose()


def kill_during_the_apply(env: dict, erp_url: str) -> int:
    """Start a sync, wait until the ERP has stored writes, kill -9 it; returns the dead process id."""
    httpx.put(f"{erp_url}/_sandbox/faults", json={"latency_ms": 150}).raise_for_status()
    proc = subprocess.Popen(
        [*CLI, "sync", "bom", "--assembly", ASSEMBLY], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(1200):  # bounded: 1200 polls of 0.1 s
            if erp_writes(erp_url) > 0 or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the sync ended before it could be killed during the apply"
        assert erp_writes(erp_url) > 0
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    httpx.delete(f"{erp_url}/_sandbox/faults").raise_for_status()
    return proc.pid


def test_a_sync_after_a_killed_one_frees_the_dead_runs_slot_and_finishes(cli_env):
    env, erp_url = cli_env
    one_erp_slot(env["DAGSTER_HOME"])
    dead_pid = kill_during_the_apply(env, erp_url)

    rerun = subprocess.run(
        [*CLI, "sync", "bom", "--assembly", ASSEMBLY], env=env, capture_output=True, text=True, timeout=300
    )

    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert "freed the erp_api slot of dead run" in rerun.stdout and f"(process {dead_pid} is gone)" in rerun.stdout
    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    try:
        runs = instance.get_runs()
        assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
        killed = runs[1].run_id
    finally:
        instance.dispose()
    store = StateStore(f"sqlite:///{Path(env['MFG_SYNC_DATA_DIR']) / 'state.db'}")
    try:
        [sync_run] = store.runs_of_dagster_run(killed)
        assert sync_run.status == "failed" and f"process {dead_pid}" in sync_run.reason
    finally:
        store.dispose()
