"""Run monitoring of deploy/celery/dagster.yaml: a run over its maximum runtime is marked failed by the daemon.

The instance is the Celery one on a fresh PostgreSQL database, its poll interval shortened to 1 s (the only
change). No worker is started, so the run hangs as a real one with lost workers would; `dagster/max_runtime`
on the run stands in for the instance's `max_runtime_seconds` (same check, shorter limit). The daemon and
the run process are killed by process group at the end.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator

import dagster as dg
import pytest
import yaml
from sqlalchemy import create_engine, text

from assets.partitions import assemblies
from resources.state.store import normalise_url
from tests.deploy.celery_stack import (
    INSTANCE_YAML,
    REDIS_URL,
    ROOT,
    VENV_BIN,
    CeleryStack,
    flush_redis,
    kill_group,
    redis_reachable,
    stack_env,
)
from tests.deploy.conftest import dagster_pg_env

pytestmark = [pytest.mark.celery, pytest.mark.postgres, pytest.mark.slow]

MAX_RUNTIME_S = 5
STATUS_POLLS = 90  # one-second looks at the run's status before the test gives up


@pytest.fixture(scope="module")
def overdue_run(pg_server_url: str, tmp_path_factory) -> Iterator[dg.DagsterRun]:
    """A bom_sync run with no worker and a 5 s maximum runtime, watched by a real dagster-daemon."""
    if not redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}, and CI=true needs the Celery tests")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    server = normalise_url(pg_server_url)
    db_name = f"mfgsync_dagster_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    work = tmp_path_factory.mktemp("monitoring")
    home = work / "dagster_home"
    home.mkdir()
    config = yaml.safe_load(INSTANCE_YAML.read_text())
    config["run_monitoring"]["poll_interval_seconds"] = 1
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    pg_env = dagster_pg_env(server, db_name)
    flush_redis()
    processes: list[subprocess.Popen] = []
    try:
        with pytest.MonkeyPatch.context() as env:
            for name, value in pg_env.items():
                env.setenv(name, value)
            with dg.DagsterInstance.from_config(str(home)) as instance:
                instance.add_dynamic_partitions(assemblies.name, ["ASM-10004"])
                stack = CeleryStack(
                    stack_env(
                        os.environ,
                        dagster_home=home,
                        work=work,
                        plm_url="http://127.0.0.1:9",
                        erp_url="http://127.0.0.1:9",
                        extra=pg_env,
                    ),
                    logs=work,
                )
                processes.append(
                    subprocess.Popen(
                        [str(VENV_BIN / "dagster-daemon"), "run", "-w", str(ROOT / "deploy/celery/workspace.yaml")],
                        cwd=ROOT,
                        env=dict(stack.env),
                        stdout=(work / "daemon.log").open("w"),
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
                processes.append(
                    stack.start_run("bom_sync", "ASM-10004", tags={"dagster/max_runtime": str(MAX_RUNTIME_S)})
                )
                run = None
                for _ in range(STATUS_POLLS):
                    runs = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": "ASM-10004"}))
                    run = runs[0] if runs else None
                    if run is not None and run.status == dg.DagsterRunStatus.FAILURE:
                        break
                    time.sleep(1)  # the daemon polls each second; nothing to wait on but the status
                yield run, instance
    finally:
        for process in processes:
            kill_group(process)
        flush_redis()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


def test_a_run_over_its_maximum_runtime_is_marked_failed(overdue_run):
    run, _ = overdue_run
    assert run is not None and run.status == dg.DagsterRunStatus.FAILURE


def test_the_failure_names_the_exceeded_runtime(overdue_run):
    run, instance = overdue_run
    messages = [e.message for e in instance.all_logs(run.run_id)]
    assert any(f"maximum runtime of {MAX_RUNTIME_S} seconds" in m for m in messages)
