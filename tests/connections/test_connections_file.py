"""mappings/connections.yaml: each ERP connection by name, validated with errors naming file, connection, field."""

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from orchestration.cli_mappings import mappings
from resources.erp.connections import DEFAULT_FILE, ConnectionsError, is_enabled, load_connections
from resources.state import StateStore
from resources.state.connection_scope import ConnectionStateStore
from sync.records import AppliedChange


def write(tmp_path: Path, connections: dict) -> Path:
    path = tmp_path / "connections.yaml"
    path.write_text(yaml.safe_dump({"connections": connections}), encoding="utf-8")
    return path


def entry(**fields) -> dict:
    base = {"kind": "tryton", "endpoint": "MFG_SYNC_TRYTON_URL", "secrets": ["MFG_SYNC_TRYTON_PASSWORD"]}
    return {**base, "mapping": "mappings/plm_to_tryton.yaml", "enabled": True, **fields}


SAP = entry(
    kind="sap", endpoint="MFG_SYNC_ERP_URL", secrets=["MFG_SYNC_ERP_CLIENT_SECRET"], mapping="mappings/plm_to_erp.yaml"
)


def test_the_shipped_file_names_sap_as_default_and_tryton():
    known = load_connections(DEFAULT_FILE)

    assert {name: c.kind for name, c in known.items()} == {"sap": "sap", "tryton": "tryton"}
    assert known["sap"].is_default and known["sap"].flow == "bom_sync"
    assert known["tryton"].flow == "bom_sync_tryton" and known["tryton"].env_prefix == "MFG_SYNC_TRYTON"


def test_every_problem_names_the_file_the_connection_and_the_field(tmp_path):
    path = write(
        tmp_path,
        {
            "sap": SAP,
            "tryton": entry(kind="odoo", endpoint="http://tryton:8000", secrets=["hunter2"], enabled="yes"),
        },
    )

    with pytest.raises(ConnectionsError) as caught:
        load_connections(path)

    problems = caught.value.problems
    assert f"{path}: connections.tryton.kind: 'odoo' is not a known ERP kind (sap, tryton)" in problems
    assert any(
        p.startswith(f"{path}: connections.tryton.endpoint: 'http://tryton:8000' must be the NAME") for p in problems
    )
    assert any(p.startswith(f"{path}: connections.tryton.secrets:") for p in problems)
    assert f"{path}: connections.tryton.enabled: 'yes' must be true or false" in problems


def test_the_default_connection_is_required(tmp_path):
    with pytest.raises(ConnectionsError, match=r"connections\.sap: required \(the default connection\)"):
        load_connections(write(tmp_path, {"tryton": entry()}))


def test_mappings_check_checks_the_connections_file(tmp_path):
    shutil.copy(DEFAULT_FILE.parent / "plm_to_erp.yaml", tmp_path / "plm_to_erp.yaml")
    write(tmp_path, {"sap": SAP, "tryton": entry(mapping="mappings/missing.yaml")})

    result = CliRunner().invoke(mappings, ["check", "--dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "connections.tryton.mapping: 'mappings/missing.yaml' is not a mapping spec file" in result.output


def test_a_switch_in_the_state_store_overrides_the_file(tmp_path):
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    tryton = load_connections(DEFAULT_FILE)["tryton"]

    store.set_connection_enabled("tryton", False)
    assert not is_enabled(tryton, store.connection_switches())
    store.set_connection_enabled("tryton", True)
    assert is_enabled(tryton, store.connection_switches())


def test_records_of_two_connections_under_one_key_stay_apart(tmp_path):
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    sap, tryton = ConnectionStateStore(store, "sap", namespaced=False), ConnectionStateStore(store, "tryton")
    run = store.start_run("bom_sync_tryton", "ASM-1", "c")

    tryton.record_batch(run, "bom_sync_tryton", [AppliedChange("material", "PRT-1", "create", None, {"a": 1}, "x")], [])

    assert set(tryton.stored_records("material")) == {"PRT-1"}
    assert tryton.stored_records("material")["PRT-1"].entity == "material"
    assert sap.stored_records("material") == {}
    assert [e.entity for e in store.record_history("tryton/material", "PRT-1")] == ["tryton/material"]
