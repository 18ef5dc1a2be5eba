"""The BOM sync on Celery workers: deploy/celery/ as production runs it, on this machine's Redis and PostgreSQL.

Two `dagster-celery` workers (Redis database 13, flushed before and after) execute the steps of a backfill
of every demo assembly, one run process per assembly at once, with the instance loaded from
deploy/celery/dagster.yaml on a fresh PostgreSQL database and the state store in a fresh schema. Every
assertion reads the event log, PostgreSQL or the ERP itself. Without Redis the tests skip, or fail when
CI=true.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import create_engine, text

from assets import assets_and_checks
from assets.partitions import assemblies
from resources.state.store import StateStore, normalise_url
from sandbox.launcher import running_sandbox
from sync.flows import BOM_FLOW
from tests.assets.test_bom_sync import DEMO_ASSEMBLIES, erp_contents, mapped_plm
from tests.deploy.celery_stack import (
    INSTANCE_YAML,
    REDIS_URL,
    CeleryStack,
    RunOutcome,
    flush_redis,
    redis_reachable,
    stack_env,
)
from tests.deploy.conftest import dagster_pg_env
from tests.sync_harness import SyncHarness

pytestmark = [pytest.mark.celery, pytest.mark.postgres, pytest.mark.slow]

WORKERS = ("worker1", "worker2")
ERP_API_LIMIT = 1  # the tightest limit: one ERP step at a time across all runs and workers
RUN_TIMEOUT_S = 240  # per run process; then its process group is killed
WORKER_EVENT = "Celery worker"  # the metadata key dagster-celery's task writes its node name under


@dataclass
class CeleryBackfill:
    harness: SyncHarness
    instance: dg.DagsterInstance
    outcomes: list[RunOutcome]
    worker_exit_codes: dict[str, int]
    nodes: dict[str, str]
    logs: Path  # each worker's and each run process's log
    state: StateStore  # the runs' sync-state store (PostgreSQL, a schema of its own)

    def events(self, event_type: dg.DagsterEventType | None = None) -> list[dg.EventLogEntry]:
        found = []
        for outcome in self.outcomes:
            for entry in self.instance.all_logs(outcome.run_id):
                if event_type is None or (entry.dagster_event and entry.dagster_event.event_type == event_type):
                    found.append(entry)
        return found


@pytest.fixture(scope="module")
def redis_db() -> Iterator[str]:
    if not redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}, and CI=true needs the Celery tests")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    flush_redis()
    yield REDIS_URL
    flush_redis()


@pytest.fixture(scope="module")
def backfill(redis_db: str, pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryBackfill]:
    server = normalise_url(pg_server_url)
    db_name, schema = f"mfgsync_dagster_{secrets.token_hex(4)}", f"mfgsync_celery_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    work = tmp_path_factory.mktemp("celery")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copyfile(INSTANCE_YAML, home / "dagster.yaml")
    pg_env = dagster_pg_env(server, db_name)
    stack = None
    try:
        with (
            pytest.MonkeyPatch.context() as env,
            running_sandbox(None, overrides={"plm": {"rate_limit": None}, "erp": {"rate_limit": None}}) as sandbox,
        ):
            for name, value in pg_env.items():
                env.setenv(name, value)
            instance = dg.DagsterInstance.from_config(str(home))
            try:
                instance.event_log_storage.set_concurrency_slots("erp_api", ERP_API_LIMIT)
                # the other pools too, as an operator does once: run processes starting together would otherwise race
                # to create their default limits (a unique-key violation in Dagster's PostgreSQL storage)
                for pool in ("plm_api", "eam_api", "mes_api"):
                    instance.event_log_storage.set_concurrency_slots(pool, 2)
                instance.add_dynamic_partitions(assemblies.name, list(DEMO_ASSEMBLIES))
                stack = CeleryStack(
                    stack_env(
                        os.environ,
                        dagster_home=home,
                        work=work,
                        plm_url=sandbox.base_url("plm"),
                        erp_url=sandbox.base_url("erp"),
                        broker=redis_db,
                        extra={**pg_env, "MFG_SYNC_STATE_URL": pg_server_url, "MFG_SYNC_STATE_SCHEMA": schema},
                    ),
                    logs=work,
                )
                stack.start_workers(*WORKERS)
                outcomes = stack.run_partitions("bom_sync", list(DEMO_ASSEMBLIES), RUN_TIMEOUT_S)
                nodes = dict(stack.nodes)
                codes = stack.stop_workers()
                state = StateStore(pg_server_url, schema=schema)
                try:
                    harness = SyncHarness(sandbox, work, instance)
                    yield CeleryBackfill(harness, instance, outcomes, codes, nodes, work, state)
                finally:
                    state.dispose()
            finally:
                if stack is not None:
                    stack.kill_workers()
                instance.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def steps_in_pool(pool: str) -> set[str]:
    """The bom_sync steps that take a slot of `pool` (other flows' steps share the pool but not this backfill)."""
    return {
        a.op.name
        for a in assets_and_checks()
        if isinstance(a, dg.AssetsDefinition)
        and a.op.pool == pool
        and a.group_names_by_key
        and set(a.group_names_by_key.values()) == {BOM_FLOW}
    }


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one instant (an end before a start at the same instant)."""
    edges = sorted(
        [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
        key=lambda edge: (edge[0], edge[1]),
    )
    open_now = most = 0
    for _, change in edges:
        open_now += change
        most = max(most, open_now)
    return most


def test_every_demo_assembly_run_succeeds_on_the_workers(backfill):
    assert sorted(o.partition for o in backfill.outcomes) == sorted(DEMO_ASSEMBLIES)
    failed = [o.partition for o in backfill.outcomes if not o.success]
    assert failed == [], "\n".join((backfill.logs / f"run-{p}.log").read_text()[-3000:] for p in failed)


def test_the_runs_are_recorded_as_succeeded_in_postgres(backfill):
    for outcome in backfill.outcomes:
        run = backfill.instance.get_run_by_id(outcome.run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["dagster/partition"] == outcome.partition
    assert type(backfill.instance.run_storage).__name__ == "PostgresRunStorage"


def test_every_step_was_executed_by_a_celery_worker(backfill):
    started = backfill.events(dg.DagsterEventType.STEP_START)
    on_workers = [
        e
        for e in backfill.events(dg.DagsterEventType.ENGINE_EVENT)
        if WORKER_EVENT in e.dagster_event.engine_event_data.metadata
    ]
    assert len(started) > 0
    assert sorted((e.run_id, e.step_key) for e in on_workers) == sorted((e.run_id, e.step_key) for e in started)


def test_steps_ran_in_both_workers(backfill):
    nodes = {
        e.dagster_event.engine_event_data.metadata[WORKER_EVENT].value
        for e in backfill.events(dg.DagsterEventType.ENGINE_EVENT)
        if WORKER_EVENT in e.dagster_event.engine_event_data.metadata
    }
    assert nodes == {backfill.nodes[name] for name in WORKERS}


def test_the_erp_equals_the_mapped_plm(backfill):
    desired = mapped_plm(backfill.harness, DEMO_ASSEMBLIES)
    assert erp_contents(backfill.harness, desired) == desired
    assert len(desired["bom_item"]) >= 600


def test_subassemblies_shared_by_assemblies_are_audited_once(backfill):
    shared = ["ASM-10006|1000|1", "ASM-10007|1000|1"]  # ASM-10001 and -10002 share one, -10002 and -10004 the other
    assert [len(backfill.state.record_history("bom_header", key)) for key in shared] == [1, 1]


def step_intervals(
    backfill: CeleryBackfill, steps: set[str] | None = None
) -> dict[tuple[str, str], tuple[float, float]]:
    """(run id, step key) -> (STEP_START, STEP_SUCCESS) timestamps from the event log, for `steps` or all."""
    starts = {
        (e.run_id, e.step_key): e.timestamp
        for e in backfill.events(dg.DagsterEventType.STEP_START)
        if steps is None or e.step_key in steps
    }
    ends = {
        (e.run_id, e.step_key): e.timestamp
        for e in backfill.events(dg.DagsterEventType.STEP_SUCCESS)
        if steps is None or e.step_key in steps
    }
    assert starts.keys() == ends.keys()
    return {key: (starts[key], ends[key]) for key in starts}


def test_no_more_erp_steps_ran_at_once_than_the_erp_api_pool_allows(backfill):
    erp_steps = step_intervals(backfill, steps_in_pool("erp_api"))
    assert len(erp_steps) == len(steps_in_pool("erp_api")) * len(DEMO_ASSEMBLIES)
    assert most_at_once(list(erp_steps.values())) == ERP_API_LIMIT


def test_the_two_workers_ran_two_steps_at_once_so_the_pool_not_the_workers_kept_erp_steps_apart(backfill):
    # the celery executor logs no "blocked by pool" event; this is what shows the limit did the work
    assert most_at_once(list(step_intervals(backfill).values())) == len(WORKERS)


def test_every_erp_api_slot_is_given_back_after_the_backfill(backfill):
    info = backfill.instance.event_log_storage.get_concurrency_info("erp_api")
    assert (info.slot_count, info.active_slot_count, info.pending_step_count) == (ERP_API_LIMIT, 0, 0)


def test_the_workers_stop_cleanly_when_told_to_shut_down(backfill):
    assert backfill.worker_exit_codes == dict.fromkeys(WORKERS, 0)


def test_the_interval_counter_counts_overlaps_not_intervals():
    assert most_at_once([(0, 1), (1, 2), (2, 3)]) == 1
    assert most_at_once([(0, 3), (1, 2), (1.5, 4)]) == 3
