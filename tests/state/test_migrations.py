"""Schema migrations: from empty to head, idempotent, equal to the models, safe from two processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from orchestration.cli_state import state
from resources.state import StateStore, migrations
from resources.state.schema import TABLE_NAMES, Base

REPO = Path(__file__).resolve().parents[2]


def test_upgrade_from_empty_creates_every_table(store: StateStore) -> None:
    assert store.current_revision() is None

    reached = store.upgrade()

    assert reached == migrations.head_revision()
    assert store.table_names() == sorted([*TABLE_NAMES, "alembic_version"])


def test_upgrade_twice_is_a_no_op_and_keeps_data(store: StateStore) -> None:
    store.upgrade()
    run_id = store.start_run("plm_to_erp", "ASM-100", "corr-1")

    assert store.upgrade() == migrations.head_revision()
    assert store.get_run(run_id).flow == "plm_to_erp"


def test_migrated_schema_matches_the_models(store: StateStore) -> None:
    store.upgrade()
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []


def test_first_use_migrates_automatically(store: StateStore) -> None:
    run_id = store.start_run("plm_to_erp", "ASM-100", "corr-1")

    assert run_id >= 1
    assert store.current_revision() == migrations.head_revision()


def test_two_processes_upgrading_at_once_both_succeed(new_store_args) -> None:
    args = new_store_args()
    code = (
        "import sys; from resources.state.store import StateStore;"
        "print(StateStore(sys.argv[1], schema=sys.argv[2] or None).upgrade())"
    )
    cmd = [sys.executable, "-c", code, args["url"], args["schema"] or ""]
    procs = [
        subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    assert [out.strip() for out, _ in results] == [migrations.head_revision()] * 2
    store = StateStore(args["url"], schema=args["schema"])
    assert store.table_names() == sorted([*TABLE_NAMES, "alembic_version"])
    store.dispose()


def test_cli_upgrade_migrates_the_store_named_by_the_environment(new_store_args) -> None:
    args = new_store_args()
    env = {"MFG_SYNC_STATE_URL": args["url"], "MFG_SYNC_STATE_SCHEMA": args["schema"] or ""}

    first = CliRunner().invoke(state, ["upgrade"], env=env)
    second = CliRunner().invoke(state, ["upgrade"], env=env)

    assert first.exit_code == 0, first.output
    assert f"upgraded from empty to revision {migrations.head_revision()}" in first.output
    assert second.exit_code == 0, second.output
    assert f"already at revision {migrations.head_revision()}" in second.output
