"""A Celery run with no worker waits forever: the stack's run timeout kills its process group and says so.

The instance is a SQLite one under a fresh DAGSTER_HOME (persistent, as the Celery executor needs); no
worker is started, so no step can ever run. Needs Redis (database 13, flushed before and after).
"""

from __future__ import annotations

import os

import dagster as dg
import pytest

from assets.partitions import assemblies
from tests.deploy.celery_stack import (
    REDIS_URL,
    CeleryStack,
    CeleryStackError,
    flush_redis,
    redis_reachable,
    stack_env,
)

pytestmark = [pytest.mark.celery, pytest.mark.slow]

NO_WORKER_TIMEOUT_S = 30  # long enough for the run process to start and submit its first step


@pytest.fixture(scope="module")
def run_without_workers(tmp_path_factory) -> tuple[CeleryStackError, str]:
    """One bom_sync run of ASM-10004 started with no worker; the error the timeout raised and the run's log."""
    if not redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}, and CI=true needs the Celery tests")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    work = tmp_path_factory.mktemp("no_worker")
    home = work / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(assemblies.name, ["ASM-10004"])
    flush_redis()
    # no sandbox either: the run never gets as far as a call
    stack = CeleryStack(
        stack_env(os.environ, dagster_home=home, work=work, plm_url="http://127.0.0.1:9", erp_url="http://127.0.0.1:9"),
        logs=work,
    )
    try:
        with pytest.raises(CeleryStackError) as raised:
            stack.run_partitions("bom_sync", ["ASM-10004"], NO_WORKER_TIMEOUT_S)
        return raised.value, (work / "run-ASM-10004.log").read_text()
    finally:
        flush_redis()


def test_a_run_with_no_worker_is_killed_at_its_timeout_and_named(run_without_workers):
    error, _ = run_without_workers
    assert str(error).startswith(f"run of ASM-10004 not done after {NO_WORKER_TIMEOUT_S} s; killed")


def test_the_killed_run_had_sent_its_first_step_to_the_broker(run_without_workers):
    _, log = run_without_workers
    assert 'Submitting celery task for step "plm_released_bom" to queue "dagster"' in log
