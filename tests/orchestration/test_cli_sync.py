"""`mfg-sync sync bom` as a user runs it: a subprocess, the sandbox, runs recorded at DAGSTER_HOME."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox.launcher import running_sandbox

CLI = [str(Path(sys.executable).with_name("mfg-sync"))]


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
        }
        yield env


def run(env, *args):
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)


def test_sync_bom_dry_run_prints_the_plan_and_writes_nothing(cli_env):
    result = run(cli_env, "sync", "bom", "--assembly", "ASM-10004", "--dry-run")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ASM-10004" in result.stdout and "to_create" in result.stdout
    assert "create    bom_item" in result.stdout


def test_sync_bom_syncs_then_finds_nothing_to_write(cli_env):
    first = run(cli_env, "sync", "bom", "--assembly", "ASM-10004")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "ok" in first.stdout and "failed 0" in first.stdout
    second = run(cli_env, "sync", "bom", "--assembly", "ASM-10004")
    assert second.returncode == 0
    assert "created 0  updated 0  deleted 0" in second.stdout


def test_sync_bom_needs_an_assembly_or_all(cli_env):
    result = run(cli_env, "sync", "bom")
    assert result.returncode == 2
    assert "--assembly" in result.stderr


def printed_requests(stdout: str, system: str) -> int:
    words = stdout.split()
    return int(words[words.index(system) + 2])  # "... ERP requests 17 ..."


def sandbox_requests(env, system: str) -> int:
    return httpx.get(f"{env[f'MFG_SYNC_{system}_URL']}/_sandbox/stats", timeout=10).json()["calls_total"]


def reset_sandbox_stats(env) -> None:
    for system in ("PLM", "ERP"):
        httpx.post(f"{env[f'MFG_SYNC_{system}_URL']}/_sandbox/stats/reset", timeout=10).raise_for_status()


def test_sync_bom_prints_every_request_each_system_received(cli_env):
    for _ in ("first sync", "no-op sync"):
        reset_sandbox_stats(cli_env)
        result = run(cli_env, "sync", "bom", "--assembly", "ASM-10004")
        assert result.returncode == 0, result.stderr[-2000:]
        assert printed_requests(result.stdout, "ERP") == sandbox_requests(cli_env, "ERP")
        assert printed_requests(result.stdout, "PLM") == sandbox_requests(cli_env, "PLM")
