"""`mfg-sync tryton up` as a subprocess: a local server until Ctrl-C, its connection in tryton.json (0600)."""

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from orchestration.settings import data_dir
from orchestration.tryton_server import free_port
from resources.erp.tryton.resource import TrytonResource

pytestmark = pytest.mark.tryton


@pytest.fixture
def tryton_up(tryton_template, tmp_path):
    """`mfg-sync tryton up` with MFG_SYNC_DATA_DIR=tmp_path (templates shared with the session's cache)."""
    (tmp_path / "tryton").mkdir()
    (tmp_path / "tryton" / "templates").symlink_to(data_dir() / "tryton" / "templates")
    port = free_port()
    env = {**os.environ, "MFG_SYNC_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "tryton", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    connection = tmp_path / "tryton" / "tryton.json"
    deadline = time.monotonic() + 90
    while not connection.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        yield process, connection, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_tryton_up_writes_its_connection_readable_by_the_owner_only(tryton_up):
    process, connection, port = tryton_up

    assert connection.exists(), process.stdout.read() if process.poll() is not None else "no tryton.json"
    facts = json.loads(connection.read_text())
    assert facts["url"] == f"http://127.0.0.1:{port}" and facts["database"] == "mfgsync" and facts["user"] == "admin"
    assert stat.S_IMODE(connection.stat().st_mode) == 0o600


def test_the_resource_falls_back_to_the_local_server_when_no_url_is_configured(tryton_up, tmp_path, monkeypatch):
    monkeypatch.setenv("MFG_SYNC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MFG_SYNC_TRYTON_URL", raising=False)
    monkeypatch.delenv("MFG_SYNC_TRYTON_PASSWORD", raising=False)

    assert TrytonResource.from_env().test_connection()["ok"] is True


def test_ctrl_c_stops_the_server(tryton_up):
    process, _, port = tryton_up

    process.send_signal(signal.SIGINT)

    assert process.wait(timeout=20) == 0
    assert TrytonResource(url=f"http://127.0.0.1:{port}", max_attempts=1).test_connection()["ok"] is False
