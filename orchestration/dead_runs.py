"""Runs whose process is gone: found, failed with the reason, their pool slots freed, before a CLI run starts.

A run started by `mfg-sync sync bom` executes in the CLI's own process. Killed (`kill -9`, a closed laptop
lid, an OOM kill) it never reports its end: Dagster keeps it STARTED with its pool slots claimed, the state
store keeps its sync run "started", and the next run waits for the slot forever. Each CLI run therefore tags
itself with its process id and host; before the next one starts, every unfinished run tagged with this host
whose process no longer exists is reported failed, its slots are freed, and its sync runs are closed as
failed with the reason. Runs launched from the UI are covered by Dagster's run monitoring (dagster.yaml).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

from resources.state import StateStore

PID_TAG = "mfg-sync/pid"
HOST_TAG = "mfg-sync/host"
POOLS = ("plm_api", "erp_api")  # the pools the BOM sync's steps claim (assets/*.py `pool=`)
UNFINISHED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def process_tags() -> dict[str, str]:
    """The tags that let a later CLI run tell whether this process still runs its run."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    pid: int
    pools: tuple[str, ...]  # the pools it held a slot of when found

    @property
    def reason(self) -> str:
        return f"process {self.pid} on {socket.gethostname()} is gone (killed or crashed) while the run was going"


def find_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Unfinished runs started on this host by a process that no longer exists."""
    host = socket.gethostname()
    holders = _slot_holders(instance)
    dead = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: host})):
        pid = run.tags.get(PID_TAG, "")
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            dead.append(DeadRun(run.run_id, int(pid), tuple(p for p in POOLS if run.run_id in holders.get(p, ()))))
    return dead


def release_dead_runs(instance: dg.DagsterInstance, store: StateStore | None) -> list[str]:
    """Fail each dead run with its reason, free its pool slots and record leases and close its sync runs; one
    line per run."""
    lines = []
    for dead in find_dead_runs(instance):
        run = instance.get_run_by_id(dead.run_id)
        if run is None:
            continue
        instance.report_run_failed(run, message=f"mfg-sync: {dead.reason}")
        instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)
        closed = store.fail_started_runs(dead.run_id, dead.reason) if store is not None else []
        if store is not None:
            store.release_leases_of(dead.run_id)  # its record leases would otherwise hold others until they expire
        slots = f"freed the {' and '.join(dead.pools)} slot" if dead.pools else "freed the slots"
        lines.append(
            f"{slots} of dead run {dead.run_id} (process {dead.pid} is gone); marked it failed"
            f"{f' with its {len(closed)} sync run(s)' if closed else ''}"
        )
    return lines


def pool_waits(instance: dg.DagsterInstance, pools: Iterable[str] = POOLS) -> list[str]:
    """What a new run will wait for: each pool whose slots are all held, and by which runs."""
    lines: list[str] = []
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return lines
    for pool in pools:
        info = storage.get_concurrency_info(pool)
        limit = info.limit if info.limit is not None else info.slot_count
        if limit and info.active_slot_count >= limit:
            holders = ", ".join(_describe(instance, run_id) for run_id in sorted(info.active_run_ids))
            lines.append(f"waiting for a slot of pool {pool} (limit {limit}), held by {holders}")
    return lines


def _describe(instance: dg.DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    if run is None:
        return f"run {run_id} (unknown to this instance)"
    where = f", process {run.tags[PID_TAG]} on {run.tags.get(HOST_TAG, '?')}" if PID_TAG in run.tags else ""
    return f"run {run_id} ({run.status.value}{where})"


def _slot_holders(instance: dg.DagsterInstance) -> dict[str, set[str]]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    return {pool: storage.get_concurrency_info(pool).active_run_ids for pool in POOLS}
