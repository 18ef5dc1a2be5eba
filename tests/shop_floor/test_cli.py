"""`mfg-sync sync shop-floor` as a user runs it: a subprocess against the sandbox, runs recorded at DAGSTER_HOME."""

import os
import subprocess
import sys
from pathlib import Path

from sandbox.launcher import running_sandbox

CLI = [str(Path(sys.executable).with_name("mfg-sync"))]


def test_sync_shop_floor_prints_the_counts_of_each_run(tmp_path):
    with running_sandbox(None) as sandbox:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
            "MFG_SYNC_DATA_DIR": str(tmp_path / "data"),
            "MFG_SYNC_ERP_URL": sandbox.base_url("erp"),
            "MFG_SYNC_MES_URL": sandbox.base_url("mes"),
        }
        result = subprocess.run(
            [*CLI, "sync", "shop-floor", "--reconcile"], env=env, capture_output=True, text=True, timeout=300
        )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "product orders  ok  created 5  updated 0  closed 0  unchanged 0  held 0" in result.stdout
    assert "confirmations   ok  drops 0  posted 0  repeated 0  rejected 0  failed 0" in result.stdout
    assert "reconciliation  0 difference(s)" in result.stdout
