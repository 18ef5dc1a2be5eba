"""Configuration comes through resources: sandbox values only under the sandbox profile, a missing secret
stops a command before its first request (naming the variable), a sandbox's published secret never goes
to a real system, and the mapping spec is parsed once per run.

The commands run as a user runs them: `mfg-sync` subprocesses with a clean environment."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg
import httpx
import pytest

import resources.mapping_spec as mapping_spec_module
from orchestration.definitions import defs
from orchestration.triggers_config import webhook_secrets
from resources.connection_rules import PUBLISHED_SANDBOX_SECRETS, ConfigurationError
from resources.erp import ERPResource
from resources.plm import PLMResource
from resources.sandbox_profile import apply_sandbox_profile
from resources.trigger_settings import TriggerSettingsError
from sandbox.launcher import running_sandbox
from tests.sync_harness import sync_harness

CLI = str(Path(sys.executable).with_name("mfg-sync"))
REAL_ERP = "https://erp.example.invalid"
REAL_PLM = "https://plm.example.invalid"
SANDBOX_WEBHOOK_KEY = PUBLISHED_SANDBOX_SECRETS["MFG_SYNC_PLM_WEBHOOK_SECRET"]


def clean_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """Only what a shell gives every process, plus `variables`: no MFG_SYNC_* leaks in from the test run."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "MFG_SYNC_DATA_DIR": str(tmp_path / "data"),
        **variables,
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=240)


def calls(base_url: str) -> int:
    return httpx.get(f"{base_url}/_sandbox/stats", timeout=10).json()["calls_total"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def sandbox():
    with running_sandbox(None, overrides={"plm": {"rate_limit": None}}) as running:
        yield running


def sandbox_plm_env(sandbox) -> dict[str, str]:
    return {
        "MFG_SYNC_PLM_URL": sandbox.base_url("plm"),
        "MFG_SYNC_PLM_EMAIL": "engineer@sandbox.example",
        "MFG_SYNC_PLM_PASSWORD": "sandbox",
        "MFG_SYNC_PLM_WORKSPACE_ID": "100001",
    }


def sandbox_erp_env(sandbox) -> dict[str, str]:
    return {
        "MFG_SYNC_ERP_URL": sandbox.base_url("erp"),
        "MFG_SYNC_ERP_CLIENT_ID": "MFG_SYNC_COMM_USER",
        "MFG_SYNC_ERP_CLIENT_SECRET": "sandbox-erp-secret",
        "MFG_SYNC_ERP_PLANT": "1000",
    }


def test_sync_bom_against_a_real_erp_without_its_client_secret_fails_before_any_request(sandbox, tmp_path):
    env = clean_env(
        tmp_path,
        **sandbox_plm_env(sandbox),
        MFG_SYNC_ERP_URL=REAL_ERP,
        MFG_SYNC_ERP_CLIENT_ID="MFG_SYNC_COMM_USER",
        MFG_SYNC_ERP_PLANT="1000",
    )
    before = calls(sandbox.base_url("plm"))
    result = run(env, "sync", "bom", "--assembly", "ASM-10004")
    assert result.returncode != 0
    assert (
        f"MFG_SYNC_ERP_CLIENT_SECRET is not set (needed for the ERP at {REAL_ERP} with auth mode oauth)"
        in result.stderr
    )
    assert calls(sandbox.base_url("plm")) == before


def test_sync_bom_against_a_real_plm_without_its_password_fails_before_any_request(sandbox, tmp_path):
    env = clean_env(
        tmp_path,
        **sandbox_erp_env(sandbox),
        MFG_SYNC_PLM_URL=REAL_PLM,
        MFG_SYNC_PLM_EMAIL="api@plant.example",
        MFG_SYNC_PLM_WORKSPACE_ID="42",
    )
    before = calls(sandbox.base_url("erp"))
    result = run(env, "sync", "bom", "--assembly", "ASM-10004")
    assert result.returncode != 0
    assert f"MFG_SYNC_PLM_PASSWORD is not set (needed for the PLM at {REAL_PLM})" in result.stderr
    assert calls(sandbox.base_url("erp")) == before


def test_sync_bom_with_nothing_configured_names_every_missing_variable_and_the_profile(tmp_path):
    result = run(clean_env(tmp_path), "sync", "bom", "--assembly", "ASM-10004")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    for variable in (
        "MFG_SYNC_PLM_URL",
        "MFG_SYNC_PLM_PASSWORD",
        "MFG_SYNC_PLM_WORKSPACE_ID",
        "MFG_SYNC_ERP_URL",
        "MFG_SYNC_ERP_CLIENT_SECRET",
        "MFG_SYNC_ERP_PLANT",
    ):
        assert f"{variable} is not set" in result.stderr
    assert "MFG_SYNC_PROFILE=sandbox" in result.stderr


def test_the_webhook_receiver_refuses_to_start_without_its_secret(tmp_path):
    result = run(clean_env(tmp_path, MFG_SYNC_PLM_URL=REAL_PLM), "webhooks", "serve", "--port", str(free_port()))
    assert result.returncode != 0
    assert "MFG_SYNC_PLM_WEBHOOK_SECRET is not set" in result.stderr
    assert "webhook receiver on" not in result.stdout


def test_the_sandbox_webhook_key_is_refused_for_a_real_plm():
    with pytest.raises(TriggerSettingsError, match="MFG_SYNC_PLM_WEBHOOK_SECRET holds the sandbox's published"):
        webhook_secrets({"MFG_SYNC_PLM_WEBHOOK_SECRET": SANDBOX_WEBHOOK_KEY, "MFG_SYNC_PLM_URL": REAL_PLM})


def test_the_sandbox_webhook_key_is_accepted_for_a_loopback_sandbox_plm():
    keys = webhook_secrets(
        {"MFG_SYNC_PLM_WEBHOOK_SECRET": SANDBOX_WEBHOOK_KEY, "MFG_SYNC_PLM_URL": "http://127.0.0.1:8101"}
    )
    assert len(keys) == 1


def test_the_sandbox_plm_password_is_refused_for_a_real_plm():
    with pytest.raises(ConfigurationError, match="MFG_SYNC_PLM_PASSWORD holds the sandbox's published value"):
        PLMResource(url=REAL_PLM, password="sandbox").client()


def test_the_sandbox_erp_client_secret_is_refused_for_a_real_erp():
    with pytest.raises(ConfigurationError, match="MFG_SYNC_ERP_CLIENT_SECRET holds the sandbox's published value"):
        ERPResource(url=REAL_ERP, client_secret="sandbox-erp-secret").client()


def test_the_basic_auth_password_is_the_secret_asked_for_in_basic_mode(monkeypatch):
    for var in ("MFG_SYNC_PROFILE", "MFG_SYNC_ERP_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MFG_SYNC_ERP_URL", REAL_ERP)
    monkeypatch.setenv("MFG_SYNC_ERP_AUTH_MODE", "basic")
    monkeypatch.setenv("MFG_SYNC_ERP_USERNAME", "SYNC_USER")
    monkeypatch.setenv("MFG_SYNC_ERP_PLANT", "2000")
    with pytest.raises(ConfigurationError, match=f"MFG_SYNC_ERP_PASSWORD is not set .*{REAL_ERP} with auth mode basic"):
        ERPResource.from_env().check_configuration()


def test_without_the_profile_nothing_falls_back_to_the_sandbox():
    env: dict[str, str] = {}
    assert apply_sandbox_profile(env) == [] and env == {}


def test_the_profile_takes_the_running_sandbox_from_its_sandbox_json(tmp_path):
    with running_sandbox(tmp_path / "data" / "sandbox", overrides={"plm": {"rate_limit": None}}) as running:
        env = clean_env(tmp_path, MFG_SYNC_PROFILE="sandbox")
        result = run(env, "sync", "bom", "--assembly", "ASM-10004", "--dry-run")
        assert result.returncode == 0, result.stderr[-2000:]
        assert "ASM-10004" in result.stdout and "to_create" in result.stdout
        assert calls(running.base_url("plm")) > 0 and calls(running.base_url("erp")) > 0


def test_definitions_wire_connection_facts_and_secrets_as_env_vars():
    plm, erp = defs.resources["plm"], defs.resources["erp"]
    assert plm.password == dg.EnvVar("MFG_SYNC_PLM_PASSWORD") and isinstance(plm.password, dg.EnvVar)
    assert plm.url == dg.EnvVar("MFG_SYNC_PLM_URL") and isinstance(plm.url, dg.EnvVar)
    assert isinstance(erp.url, dg.EnvVar)
    assert isinstance(erp.client_secret if erp.auth_mode == "oauth" else erp.password, dg.EnvVar)


def test_the_mapping_spec_is_parsed_once_per_run(tmp_path, monkeypatch):
    parsed = []
    real_load = mapping_spec_module.load_spec
    monkeypatch.setattr(mapping_spec_module, "load_spec", lambda path: parsed.append(path) or real_load(path))
    with sync_harness(tmp_path) as h:
        result = h.sync("ASM-10004")
    assert len(parsed) == 1
    assert result.success
