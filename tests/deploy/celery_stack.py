"""Test and bench support: the Celery deployment of deploy/celery/ on this machine.

Celery workers started the way deploy/README.md starts them (`dagster-celery worker start`, one process
group each), and BOM-sync runs started as their own processes, each through the Celery executor. Every
process is bounded: a run by a timeout and a hard kill of its group, a worker by a shutdown over the broker
and a hard kill of its group when it does not stop.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from celery import Celery

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CELERY_DIR = ROOT / "deploy" / "celery"
WORKER_YAML = CELERY_DIR / "worker.yaml"
INSTANCE_YAML = CELERY_DIR / "dagster.yaml"
# a Redis database of our own: flushed before and after, so nothing else on the server is touched
REDIS_URL = os.environ.get("MFG_SYNC_TEST_CELERY_REDIS", "redis://127.0.0.1:6379/13")
RUN_MODULE = "tests.deploy.celery_run"
READY_PINGS = 60  # one-second pings before a worker that never answers is an error
STOP_WAIT_S = 60


class CeleryStackError(RuntimeError):
    """A worker or run that did not start, answer or stop; the message names it and ends with its log."""


def redis_reachable(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def flush_redis(url: str = REDIS_URL) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    finally:
        client.close()


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=STOP_WAIT_S)


@dataclass
class RunOutcome:
    partition: str
    run_id: str
    success: bool


@dataclass
class CeleryStack:
    """Workers and runs sharing one environment: broker, instance home, sandbox URLs, state store."""

    env: Mapping[str, str]
    logs: Path
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    nodes: dict[str, str] = field(default_factory=dict)  # worker name -> its Celery node name (name@host)

    def app(self) -> Celery:
        return Celery(
            "mfg-sync-test", broker=self.env["MFG_SYNC_CELERY_BROKER"], backend=self.env["MFG_SYNC_CELERY_BACKEND"]
        )

    def start_workers(self, *names: str) -> None:
        """One `dagster-celery worker start` per name (one task at a time each); returns when all answer."""
        for name in names:
            log = (self.logs / f"{name}.log").open("w")
            self.workers[name] = subprocess.Popen(
                [
                    str(VENV_BIN / "dagster-celery"),
                    "worker",
                    "start",
                    "-A",
                    "dagster_celery.app",
                    "-y",
                    str(WORKER_YAML),
                    "-n",
                    name,
                    "--",
                    "--concurrency=1",
                ],
                cwd=ROOT,
                env=dict(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_answering(names)

    def _wait_until_answering(self, names: tuple[str, ...]) -> None:
        app = self.app()
        try:
            answering: set[str] = set()
            for _ in range(READY_PINGS):
                nodes = {node.split("@")[0]: node for reply in app.control.ping(timeout=1.0) for node in reply}
                answering = set(nodes)
                if set(names) <= answering:
                    self.nodes.update({name: nodes[name] for name in names})
                    return
                for name in names:
                    if self.workers[name].poll() is not None:
                        raise CeleryStackError(
                            f"worker {name} exited {self.workers[name].returncode}:\n{_tail(self.logs / f'{name}.log')}"
                        )
            raise CeleryStackError(f"workers {sorted(set(names) - answering)} did not answer {READY_PINGS} pings")
        finally:
            app.close()

    def stop_workers(self) -> dict[str, int]:
        """Warm shutdown over the broker (a running step finishes); a worker still up after that is killed."""
        app = self.app()
        try:
            app.control.shutdown(destination=[self.nodes[name] for name in self.workers if name in self.nodes])
        finally:
            app.close()
        codes = {}
        for name, process in self.workers.items():
            try:
                codes[name] = process.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                kill_group(process)
                codes[name] = process.returncode
        self.workers.clear()
        return codes

    def kill_workers(self) -> None:
        for process in self.workers.values():
            kill_group(process)
        self.workers.clear()

    def start_run(
        self, job: str, partition: str, module: str = "deploy.celery.definitions", tags: Mapping[str, str] | None = None
    ) -> subprocess.Popen:
        """A run process of its own (its own process group, so a hard kill takes all of it)."""
        log = (self.logs / f"run-{partition}.log").open("w")
        return subprocess.Popen(
            [sys.executable, "-m", RUN_MODULE, job, partition, module, json.dumps(dict(tags or {}))],
            cwd=ROOT,
            env=dict(self.env),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )

    def run_partitions(
        self, job: str, partitions: list[str], timeout_s: float, module: str = "deploy.celery.definitions"
    ) -> list[RunOutcome]:
        """One run process per partition, all at once (as a backfill's runs); each killed past `timeout_s`."""
        started = {partition: self.start_run(job, partition, module) for partition in partitions}
        outcomes = []
        for partition, process in started.items():
            try:
                out, _ = process.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                for other in started.values():
                    kill_group(other)
                raise CeleryStackError(
                    f"run of {partition} not done after {timeout_s} s; killed:\n"
                    f"{_tail(self.logs / f'run-{partition}.log')}"
                ) from None
            if process.returncode != 0 or not out.strip():
                raise CeleryStackError(
                    f"run process of {partition} exited {process.returncode}:\n"
                    f"{_tail(self.logs / f'run-{partition}.log')}"
                )
            outcomes.append(RunOutcome(**json.loads(out.strip().splitlines()[-1])))
        return outcomes


def stack_env(
    base: Mapping[str, str],
    *,
    dagster_home: Path,
    work: Path,
    plm_url: str,
    erp_url: str,
    broker: str = REDIS_URL,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment every worker and run process of the stack gets (the deploy/README.md variables)."""
    return {
        **base,
        "PATH": f"{VENV_BIN}{os.pathsep}{base.get('PATH', '')}",  # dagster-celery starts `celery` by name
        "PYTHONPATH": str(ROOT),
        "DAGSTER_HOME": str(dagster_home),
        "MFG_SYNC_CELERY_BROKER": broker,
        "MFG_SYNC_CELERY_BACKEND": broker,
        "MFG_SYNC_PROFILE": "sandbox",
        "MFG_SYNC_DATA_DIR": str(work / "data"),
        "MFG_SYNC_STORAGE_DIR": str(work / "tables"),  # shared by all workers: one machine here
        "MFG_SYNC_PLM_URL": plm_url,
        "MFG_SYNC_ERP_URL": erp_url,
        "MFG_SYNC_PLM_RATE_LIMIT": "200",
        "MFG_SYNC_RETRY_DELAYS_S": "off",  # a failed step fails the run now, not in 5 minutes
        **(extra or {}),
    }
