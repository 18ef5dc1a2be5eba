"""The mfg-sync code location for a Celery deployment: the project's Definitions, its jobs on Celery workers.

`orchestration.definitions.defs` stays the one source of assets, resources, schedules and sensors; only
the executor of its jobs changes: every job runs its steps on Celery workers (the BOM sync, the maintenance
flows, reconciliation and whatever job a room adds later), except the dry run `bom_plan`, a quick read
kept in its run's process. Broker and result backend are read from the
environment when a run starts (MFG_SYNC_CELERY_BROKER, MFG_SYNC_CELERY_BACKEND), never stored here.
Load it with `deploy/celery/workspace.yaml`; workers start with `deploy/celery/worker.yaml`.
"""

from __future__ import annotations

import warnings

import dagster as dg
from dagster_celery import celery_executor
from dagster_shared.record import copy

from assets.jobs import bom_plan
from orchestration.definitions import defs as project_defs

BROKER_ENV = "MFG_SYNC_CELERY_BROKER"
BACKEND_ENV = "MFG_SYNC_CELERY_BACKEND"
# what the jobs in a Celery deployment run on; every worker must be started with the same broker/backend
celery_workers = celery_executor.configured(
    {"broker": {"env": BROKER_ENV}, "backend": {"env": BACKEND_ENV}}, name="celery_workers"
)
IN_PROCESS = (bom_plan.name,)


def on_celery(job: dg.UnresolvedAssetJobDefinition) -> dg.UnresolvedAssetJobDefinition:
    """The same job (selection, partitions, retry policy, tags) with its steps sent to Celery workers."""
    return copy(job, executor_def=celery_workers)


def celery_definitions(defs: dg.Definitions) -> dg.Definitions:
    """`defs` with its jobs on Celery (but `IN_PROCESS`); schedules and sensors follow the new jobs."""
    jobs = {job.name: job if job.name in IN_PROCESS else on_celery(job) for job in defs.jobs or []}
    on_celery_names = {name for name in jobs if name not in IN_PROCESS}
    schedules = [_retargeted_schedule(s, jobs, on_celery_names) for s in defs.schedules or []]
    sensors = [_retargeted_sensor(s, jobs, on_celery_names) for s in defs.sensors or []]
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=list(jobs.values()),
        schedules=schedules,
        sensors=sensors,
        resources=defs.resources,
        loggers=defs.loggers,
        metadata=defs.metadata,
    )


def _retargeted_schedule(schedule, jobs: dict, on_celery_names: set[str]):
    name = getattr(schedule, "job_name", None)
    if name in on_celery_names and isinstance(schedule, dg.ScheduleDefinition):
        return schedule.with_updated_job(jobs[name])
    return schedule


def _retargeted_sensor(sensor, jobs: dict, on_celery_names: set[str]):
    if not isinstance(sensor, dg.SensorDefinition) or not sensor.targets:
        return sensor
    names = [target.job_name for target in sensor.targets if target.has_job_def]
    if not any(name in on_celery_names for name in names):
        return sensor
    with warnings.catch_warnings():  # the copy passes the sensor's `owners` on, a beta parameter in 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        return sensor.with_updated_jobs([jobs[name] for name in names])


defs = celery_definitions(project_defs)
