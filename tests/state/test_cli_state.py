"""`mfg-sync state ...` read-only commands, and URL handling that never shows a password."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from resources.state.store import StateStore, StateStoreError, normalise_url
from sync.records import AppliedChange, FailedChange

FLOW = "plm_to_erp"


@pytest.fixture
def seeded(new_store_args) -> dict[str, str]:
    """A store holding one run, one record's history and one dead letter; returns the CLI's environment."""
    args = new_store_args()
    store = StateStore(args["url"], schema=args["schema"])
    run = store.start_run(FLOW, "ASM-100", "corr-42", "dagster-7")
    store.record_batch(
        run,
        FLOW,
        [AppliedChange("material", "PRT-1", "create", None, {"name": "Bracket"}, "c1")],
        [FailedChange("material", "PRT-2", "create", {"n": 2}, "ERP_LOCKED", "material locked by user X", True)],
    )
    store.finish_run(run, "partial", {"created": 1, "failed": 1})
    store.dispose()
    return {"MFG_SYNC_STATE_URL": args["url"], "MFG_SYNC_STATE_SCHEMA": args["schema"] or ""}


def run_cli(env: dict[str, str], *argv: str) -> str:
    result = CliRunner().invoke(main, ["state", *argv], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_runs_lists_recent_runs_with_counts(seeded) -> None:
    out = run_cli(seeded, "runs", "--flow", FLOW)
    assert "partial" in out and "[ASM-100]" in out and "created=1" in out and "corr=corr-42" in out


def test_dead_letters_lists_open_dead_letters(seeded) -> None:
    out = run_cli(seeded, "dead-letters")
    assert "material/PRT-2" in out and "ERP_LOCKED retryable" in out and "x1" in out


def test_history_prints_a_records_audit_trail_as_json(seeded) -> None:
    [entry] = json.loads(run_cli(seeded, "history", "material", "PRT-1", "--json"))
    assert (entry["operation"], entry["after"]) == ("create", {"name": "Bracket"})
    assert "no history for material/PRT-9" in run_cli(seeded, "history", "material", "PRT-9")


@pytest.mark.postgres
def test_cli_upgrade_never_prints_the_password(pg_url, new_store_args) -> None:
    args = new_store_args()
    url = normalise_url(pg_url).set(password="s3cr3t-pw")  # trust auth ignores it; the output must too
    env = {
        "MFG_SYNC_STATE_URL": url.render_as_string(hide_password=False),
        "MFG_SYNC_STATE_SCHEMA": args["schema"],
    }

    out = run_cli(env, "upgrade")

    assert "s3cr3t-pw" not in out and "***" in out


def test_a_bare_postgresql_url_uses_psycopg2() -> None:
    assert normalise_url("postgresql://u:p@db:5432/mfg").drivername == "postgresql+psycopg2"
    assert normalise_url("postgres://u:p@db/mfg").drivername == "postgresql+psycopg2"


def test_an_unsupported_backend_is_named_without_the_password() -> None:
    with pytest.raises(StateStoreError, match="'mysql' is not supported") as caught:
        normalise_url("mysql://admin:hunter2@db/mfg")
    assert "hunter2" not in str(caught.value)


def test_default_store_is_a_sqlite_file_under_the_data_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MFG_SYNC_STATE_URL", raising=False)
    monkeypatch.delenv("MFG_SYNC_STATE_SCHEMA", raising=False)
    monkeypatch.setenv("MFG_SYNC_DATA_DIR", str(tmp_path / "data"))

    store = StateStore.from_env()
    store.start_run(FLOW, "", "corr-1")
    store.dispose()

    assert (tmp_path / "data" / "state.db").exists()


def test_runs_show_why_a_run_failed(new_store_args) -> None:
    args = new_store_args()
    store = StateStore(args["url"], schema=args["schema"])
    store.start_run(FLOW, "ASM-100", "corr-9", "dagster-killed")
    store.fail_started_runs("dagster-killed", "process 4242 on plant-pc is gone")
    store.dispose()

    out = run_cli({"MFG_SYNC_STATE_URL": args["url"], "MFG_SYNC_STATE_SCHEMA": args["schema"] or ""}, "runs")

    assert "failed" in out and "reason: process 4242 on plant-pc is gone" in out
