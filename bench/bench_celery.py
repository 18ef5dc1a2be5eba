"""Benchmark: the demo backfill (every demo assembly, one run each, all at once) on 1 and 2 Celery workers vs
the in-process default.

Each scenario gets a fresh sandbox (a first sync into an empty ERP), a fresh PostgreSQL database for the
Dagster instance (deploy/celery/dagster.yaml) and state-store schema, and Redis database 13 flushed before
and after. Runs are their own processes (tests/deploy/celery_stack.py), as the daemon's run launcher
starts them. Wall time is from the first run process started to the last one done; calls and writes are
the sandbox's own counters. Needs Redis (MFG_SYNC_TEST_CELERY_REDIS) and PostgreSQL (--pg-url).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests.deploy.celery_stack

from resources.state.store import normalise_url  # noqa: E402
from sandbox.launcher import running_sandbox  # noqa: E402
from tests.deploy.celery_stack import (  # noqa: E402
    INSTANCE_YAML,
    REDIS_URL,
    CeleryStack,
    flush_redis,
    redis_reachable,
    stack_env,
)
from tests.deploy.conftest import dagster_pg_env  # noqa: E402

DEMO_ASSEMBLIES = ["ASM-10001", "ASM-10002", "ASM-10004"]
RUN_TIMEOUT_S = 600
IN_PROCESS_MODULE = "orchestration.definitions"  # the project's jobs as they ship: steps in the run's process


@dataclass
class Scenario:
    name: str
    wall_s: float
    runs_ok: int
    plm_calls: int
    erp_calls: int
    erp_writes: int


def sandbox_counts(url: str) -> tuple[int, int]:
    stats = httpx.get(f"{url}/_sandbox/stats").json()
    return int(stats["calls_total"]), int(stats["writes"])


def run_scenario(name: str, workers: int, pg_url: str, erp_api_limit: int, work: Path) -> Scenario:
    """The demo backfill on `workers` Celery workers (0: the in-process default) against fresh systems."""
    server = normalise_url(pg_url)
    db_name, schema = f"mfgsync_bench_{secrets.token_hex(4)}", f"mfgsync_bench_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    home = work / name / "dagster_home"
    home.mkdir(parents=True)
    shutil.copyfile(INSTANCE_YAML, home / "dagster.yaml")
    pg_env = dagster_pg_env(server, db_name)
    flush_redis()
    stack = None
    try:
        with running_sandbox(None, overrides={"plm": {"rate_limit": None}, "erp": {"rate_limit": None}}) as sandbox:
            os.environ.update(pg_env)
            import dagster as dg

            from assets.partitions import assemblies

            with dg.DagsterInstance.from_config(str(home)) as instance:
                instance.event_log_storage.set_concurrency_slots("erp_api", erp_api_limit)
                # the other pools too, as an operator does once: run processes starting together would otherwise race
                # to create their default limits (a unique-key violation in Dagster's PostgreSQL storage)
                for pool in ("plm_api", "eam_api", "mes_api"):
                    instance.event_log_storage.set_concurrency_slots(pool, 2)
                instance.add_dynamic_partitions(assemblies.name, DEMO_ASSEMBLIES)
            stack = CeleryStack(
                stack_env(
                    os.environ,
                    dagster_home=home,
                    work=work / name,
                    plm_url=sandbox.base_url("plm"),
                    erp_url=sandbox.base_url("erp"),
                    extra={"MFG_SYNC_STATE_URL": pg_url, "MFG_SYNC_STATE_SCHEMA": schema},
                ),
                logs=work / name,
            )
            if workers:
                stack.start_workers(*(f"bench{i + 1}" for i in range(workers)))
            module = "deploy.celery.definitions" if workers else IN_PROCESS_MODULE
            started = time.perf_counter()
            outcomes = stack.run_partitions("bom_sync", DEMO_ASSEMBLIES, RUN_TIMEOUT_S, module=module)
            wall = time.perf_counter() - started
            plm_calls, _ = sandbox_counts(sandbox.base_url("plm"))
            erp_calls, erp_writes = sandbox_counts(sandbox.base_url("erp"))
            if workers:
                stack.stop_workers()
            for failed in (o.partition for o in outcomes if not o.success):
                print(
                    f"  {name}: run of {failed} failed; its log ends:\n"
                    f"{(work / name / f'run-{failed}.log').read_text()[-3000:]}",
                    file=sys.stderr,
                )
        scenario = Scenario(name, wall, sum(o.success for o in outcomes), plm_calls, erp_calls, erp_writes)
        print(f"  {name}: {wall:.1f} s", file=sys.stderr, flush=True)
        return scenario
    finally:
        if stack is not None:
            stack.kill_workers()
        flush_redis()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("MFG_SYNC_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--erp-api-limit", type=int, default=2, help="erp_api pool slots (the instance default)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not redis_reachable():
        print(f"Redis is not reachable at {REDIS_URL}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-celery-") as tmp:
        scenarios = [
            run_scenario(name, workers, args.pg_url, args.erp_api_limit, Path(tmp))
            for name, workers in (("in-process", 0), ("celery, 1 worker", 1), ("celery, 2 workers", 2))
        ]
    print(f"demo backfill: {', '.join(DEMO_ASSEMBLIES)} (3 runs at once), erp_api pool {args.erp_api_limit}")
    print(f"{'scenario':<20} {'wall s':>8} {'runs ok':>8} {'PLM calls':>10} {'ERP calls':>10} {'ERP writes':>11}")
    for s in scenarios:
        print(f"{s.name:<20} {s.wall_s:>8.1f} {s.runs_ok:>8} {s.plm_calls:>10} {s.erp_calls:>10} {s.erp_writes:>11}")
    return 0 if all(s.runs_ok == len(DEMO_ASSEMBLIES) for s in scenarios) else 1


if __name__ == "__main__":
    sys.exit(main())
