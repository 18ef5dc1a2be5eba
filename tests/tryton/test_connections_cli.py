"""The `tryton` ERP connection through Dagster, as a user runs it: `mfg-sync sync bom --all --connection tryton`
(a subprocess, runs recorded at DAGSTER_HOME) against a real trytond, read back over plain JSON-RPC; the `sap`
connection beside it; reconciliation per connection; a disabled connection's schedule skipping."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from assets.connection_bom_sync import JOB_OF_FLOW
from orchestration.tryton_server import TrytonServer, TrytonServerError
from resources.state import StateStore, SyncStateResource
from sandbox.launcher import running_sandbox
from schedules.bom_schedules import build_weekly_full_sync
from sync.mapping import map_released_bom

from .support import PlainRpc, released_bom, tryton_contents

pytestmark = pytest.mark.tryton
CLI = [str(Path(sys.executable).with_name("mfg-sync"))]
# a small parametric PLM (2 top-level assemblies, 60 parts) keeps the module short; the demo data is synced
# to Tryton below Dagster by test_bom_sync.py
LARGE_PARAMS = {"assemblies": 2, "depth": 2, "breadth": 4, "width": 2}


@pytest.fixture(scope="module")
def tryton_server(tryton_template, tmp_path_factory):
    """SQLite only: these tests are about connections through Dagster, each CLI run costs seconds, and the
    kind's own tests already run on both backends."""
    venv, template = tryton_template
    server = TrytonServer(venv=venv, run_dir=tmp_path_factory.mktemp("tryton"), template=template)
    try:
        server.start()
    except TrytonServerError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Tryton is unavailable in CI: {exc}")
        pytest.skip(f"Tryton is unavailable: {exc}")
    try:
        yield server
    finally:
        server.stop()


def cli_env(home, sandbox, tryton_server) -> dict[str, str]:
    """The CLI's environment for a scratch home, the running sandbox and the test Tryton server."""
    return {
        **os.environ,
        "DAGSTER_HOME": str(home / "dagster_home"),
        "MFG_SYNC_DATA_DIR": str(home / "data"),
        "MFG_SYNC_PROFILE": "sandbox",
        "MFG_SYNC_PLM_URL": sandbox.base_url("plm"),
        "MFG_SYNC_ERP_URL": sandbox.base_url("erp"),
        "MFG_SYNC_TRYTON_URL": tryton_server.url,
        "MFG_SYNC_TRYTON_DATABASE": tryton_server.database,
        "MFG_SYNC_TRYTON_USER": tryton_server.user,
        "MFG_SYNC_TRYTON_PASSWORD": tryton_server.password,
    }


@pytest.fixture(scope="module")
def env(tryton_server, tmp_path_factory):
    home = tmp_path_factory.mktemp("connections")
    overrides = {"plm": {"rate_limit": None, "large_params": LARGE_PARAMS}, "erp": {"large_params": LARGE_PARAMS}}
    with running_sandbox(None, profile="large", overrides=overrides) as sandbox:
        yield {
            **cli_env(home, sandbox, tryton_server),
            "MFG_SYNC_PLM_RATE_LIMIT": "100",
        }


def run(env, *args):
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=600)


def store_of(env) -> StateStore:
    return StateStore(f"sqlite:///{env['MFG_SYNC_DATA_DIR']}/state.db")


@pytest.fixture(scope="module")
def first_sync(env, tryton_server):
    result = run(env, "sync", "bom", "--all", "--connection", "tryton")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assemblies = [line.split()[0] for line in result.stdout.splitlines() if line.split()[1:2] == ["ok"]]
    return result.stdout, tryton_contents(tryton_server), assemblies


def one(first_sync) -> tuple[str, str]:
    """Re-runs and reconciliations name one assembly: each CLI run costs seconds."""
    return ("--assembly", first_sync[2][0])


def mapped_plm(env, tryton_spec, assemblies):
    desired = {"material": {}, "bom_item": {}}
    for assembly in assemblies:
        bom = released_bom(env["MFG_SYNC_PLM_URL"], assembly)
        mapped = map_released_bom(tryton_spec, bom.parts, bom.lines)
        desired["material"].update(mapped.materials)
        desired["bom_item"].update(mapped.bom_items)
    return desired


def test_sync_all_to_tryton_makes_its_products_and_boms_equal_the_mapped_plm(env, first_sync, tryton_spec):
    stdout, contents, assemblies = first_sync
    desired = mapped_plm(env, tryton_spec, assemblies)
    wanted: dict[str, dict] = {}
    for item in desired["bom_item"].values():
        wanted.setdefault(item["Material"], {})[item["BillOfMaterialComponent"]] = (
            Decimal(item["quantity"]),
            item["unit"],
        )

    assert len(assemblies) == LARGE_PARAMS["assemblies"] and "FAILED" not in stdout
    assert set(contents["products"]) == set(desired["material"])
    for number, material in desired["material"].items():
        assert contents["products"][number]["template."]["name"] == material["name"]
    for material, lines in wanted.items():
        [bom_id] = contents["current"][material]  # one current BOM per product
        assert contents["boms"][bom_id]["lines"] == lines
        assert contents["boms"][bom_id]["line_count"] == len(lines)


def test_a_re_run_to_tryton_writes_nothing(env, first_sync, tryton_server):
    result = run(env, "sync", "bom", *one(first_sync), "--connection", "tryton")

    assert result.returncode == 0, result.stderr[-3000:]
    assert "created 0  updated 0  deleted 0" in result.stdout
    assert tryton_contents(tryton_server) == first_sync[1]


def test_two_connections_enabled_at_once_each_end_equal_to_the_plm(env, first_sync):
    sap = run(env, "sync", "bom", *one(first_sync))  # the default connection: the SAP sandbox
    assert sap.returncode == 0, sap.stderr[-3000:]

    for connection in ("sap", "tryton"):
        result = run(env, "reconcile", *one(first_sync), "--connection", connection)
        assert result.returncode == 0, (connection, result.stdout, result.stderr[-3000:])
        assert f"PLM and {'ERP' if connection == 'sap' else connection} agree" in result.stdout


def test_state_runs_and_records_are_kept_per_connection(env, first_sync):
    store = store_of(env)
    try:
        flows = {run.flow for run in store.recent_runs(limit=50)}
        tryton_materials = store.stored_records("tryton/material")
        sap_materials = store.stored_records("material")
    finally:
        store.dispose()

    assert {"bom_sync", "bom_sync_tryton"} <= flows
    assert len(tryton_materials) == len(first_sync[1]["products"])
    assert 0 < len(sap_materials) < len(tryton_materials)  # SAP got one assembly only


def test_reconciliation_of_tryton_flags_a_quantity_changed_directly_in_tryton(env, first_sync, tryton_server):
    contents, assembly = first_sync[1], first_sync[2][0]
    [bom_id] = contents["current"][assembly]
    rpc = PlainRpc(tryton_server)
    [line] = rpc.search_read("production.bom.input", [["bom", "=", bom_id]], ["quantity"])[:1]
    rpc.call("model.production.bom.input.write", [line["id"]], {"quantity": line["quantity"] + 7})

    result = run(env, "reconcile", *one(first_sync), "--connection", "tryton")

    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "1 difference(s) between PLM and tryton" in result.stderr
    assert any(line.split()[:2] == ["quantity", "1"] for line in result.stdout.splitlines())


def test_a_disabled_connection_skips_its_schedule_naming_it_and_sync_refuses_it(env, first_sync, monkeypatch):
    assert run(env, "connections", "disable", "tryton").returncode == 0
    monkeypatch.setenv("MFG_SYNC_DATA_DIR", env["MFG_SYNC_DATA_DIR"])
    schedule = build_weekly_full_sync(job=JOB_OF_FLOW["bom_sync_tryton"], connection="tryton")
    state = SyncStateResource(url=f"sqlite:///{env['MFG_SYNC_DATA_DIR']}/state.db")
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(
            instance=instance,
            resources={"sync_state": state},
            scheduled_execution_time=datetime(2026, 12, 6, 22, 0, tzinfo=UTC),
        ) as context,
    ):
        skipped = schedule(context)
    refused = run(env, "sync", "bom", *one(first_sync), "--connection", "tryton")
    listed = run(env, "connections", "list")
    run(env, "connections", "enable", "tryton")

    assert skipped.skip_message == (
        "ERP connection 'tryton' is disabled (`mfg-sync connections enable tryton` turns it back on)"
    )
    assert refused.returncode == 1 and "'tryton' is disabled" in refused.stderr
    assert any(line.split()[:3] == ["tryton", "tryton", "disabled"] for line in listed.stdout.splitlines())


def test_connections_test_logs_in_and_prints_latency_and_version(env):
    result = run(env, "connections", "test", "tryton")

    assert result.returncode == 0, result.stderr[-2000:]
    assert "tryton: ok" in result.stdout and "latency" in result.stdout and "version 8.2" in result.stdout
