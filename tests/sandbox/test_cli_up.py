"""`mfg-sync sandbox up` as a user runs it: every system serves, sandbox.json names them, status reads them."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = str(Path(sys.executable).with_name("mfg-sync"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sandbox_up_serves_every_system_and_status_reports_their_contents(tmp_path):
    ports = {"plm": free_port(), "erp": free_port(), "eam": free_port(), "mes": free_port()}
    up = subprocess.Popen(
        [
            CLI,
            "sandbox",
            "up",
            "--data-dir",
            str(tmp_path),
            "--plm-port",
            str(ports["plm"]),
            "--erp-port",
            str(ports["erp"]),
            "--eam-port",
            str(ports["eam"]),
            "--mes-port",
            str(ports["mes"]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        facts_file = tmp_path / "sandbox.json"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if facts_file.exists() and all(
                    httpx.get(f"http://127.0.0.1:{ports[name]}/_sandbox/summary").is_success for name in ("erp", "eam")
                ):
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        facts = json.loads(facts_file.read_text())
        assert facts["plm"]["base_url"] == f"http://127.0.0.1:{ports['plm']}"
        assert set(facts["erp"]) >= {"base_url", "token_url", "client_id", "client_secret", "username", "password"}
        assert facts["eam"]["base_url"] == f"http://127.0.0.1:{ports['eam']}"
        assert set(facts["eam"]) >= {"apikey", "username", "password", "publish_secret"}
        status = subprocess.run(
            [CLI, "sandbox", "status", "--data-dir", str(tmp_path), "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        summaries = json.loads(status.stdout)
        assert summaries["plm"]["items"] > 600 and summaries["erp"]["products"] == 8
        assert summaries["eam"]["workorders"] == 60 and summaries["eam"]["assets"] == 6
    finally:
        up.terminate()
        up.wait(timeout=20)
    assert (tmp_path / "plm.db").exists() and (tmp_path / "erp.db").exists() and (tmp_path / "eam.db").exists()
