"""The Celery and Kubernetes configs in deploy/: each validates against the schema of what reads it, no cluster
or broker needed. The Celery setup running for real is tests/deploy/test_celery_workers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config
from dagster_celery.cli import get_validated_config
from dagster_k8s import K8sRunLauncher

from assets.jobs import bom_plan, bom_sync, maintenance_sync, reconciliation
from tests.deploy.celery_stack import INSTANCE_YAML, ROOT, WORKER_YAML

K8S_VALUES = ROOT / "deploy" / "k8s" / "values.yaml"
CELERY_WORKSPACE = ROOT / "deploy" / "celery" / "workspace.yaml"
# what the Dagster chart adds to runLauncher.config.k8sRunLauncher when it writes the instance's config map
CHART_SUPPLIED = {
    "instance_config_map": "mfg-sync-dagster-instance",
    "dagster_home": "/opt/dagster/dagster_home",
    "postgres_password_secret": "mfg-sync-dagster-postgresql",
    "service_account_name": "mfg-sync",
}


@pytest.fixture(scope="module")
def celery_defs() -> dg.Definitions:
    from deploy.celery.definitions import defs

    return defs


def celery_instance_config(tmp_path: Path) -> dict:
    shutil.copyfile(INSTANCE_YAML, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    return config


def test_the_celery_instance_keeps_everything_in_postgres_from_the_environment(tmp_path):
    config = celery_instance_config(tmp_path)
    db = config["storage"]["postgres"]["postgres_db"]
    assert db["scheme"] == "postgresql+psycopg2"
    assert {db[k]["env"] for k in ("hostname", "port", "username", "password", "db_name")} == {
        "DAGSTER_PG_HOST",
        "DAGSTER_PG_PORT",
        "DAGSTER_PG_USER",
        "DAGSTER_PG_PASSWORD",
        "DAGSTER_PG_DB",
    }


def test_the_celery_instance_queues_runs_and_bounds_them(tmp_path):
    config = celery_instance_config(tmp_path)
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["runs"]["max_concurrent_runs"] >= 1
    assert config["concurrency"]["runs"]["tag_concurrency_limits"][0]["key"] == "mfg-sync/trigger"


def test_the_celery_instance_claims_pool_slots_per_step(tmp_path):
    pools = celery_instance_config(tmp_path)["concurrency"]["pools"]
    assert pools == {"default_limit": 2, "granularity": "op"}


def test_the_celery_instance_fails_a_run_over_its_maximum_runtime(tmp_path):
    monitoring = celery_instance_config(tmp_path)["run_monitoring"]
    assert monitoring["enabled"] is True
    assert monitoring["max_runtime_seconds"] > 0


def test_the_worker_config_takes_broker_and_backend_from_the_environment(monkeypatch):
    monkeypatch.setenv("MFG_SYNC_CELERY_BROKER", "redis://mq.plant.example:6379/3")
    monkeypatch.setenv("MFG_SYNC_CELERY_BACKEND", "redis://mq.plant.example:6379/4")
    config = get_validated_config(str(WORKER_YAML))
    assert (config["broker"], config["backend"]) == (
        "redis://mq.plant.example:6379/3",
        "redis://mq.plant.example:6379/4",
    )
    assert config["config_source"]["task_acks_late"] is True


def test_the_worker_config_holds_no_broker_address_itself():
    text = WORKER_YAML.read_text()
    assert "{env: MFG_SYNC_CELERY_BROKER}" in text and "{env: MFG_SYNC_CELERY_BACKEND}" in text


def test_the_bom_sync_and_reconciliation_jobs_run_on_celery_workers(celery_defs):
    for job in (bom_sync, reconciliation):
        assert celery_defs.resolve_job_def(job.name).executor_def.name == "celery_workers", job.name


def test_the_maintenance_flows_and_every_later_job_run_on_celery_workers(celery_defs):
    jobs = [job.name for job in celery_defs.jobs if job.name != bom_plan.name]
    assert maintenance_sync.name in jobs
    for name in jobs:
        assert celery_defs.resolve_job_def(name).executor_def.name == "celery_workers", name


def test_the_dry_run_job_keeps_its_in_process_executor(celery_defs):
    assert celery_defs.resolve_job_def(bom_plan.name).executor_def.name == "in_process"


def test_the_celery_jobs_keep_their_partitions_and_retry_policy(celery_defs):
    job = celery_defs.resolve_job_def(bom_sync.name)
    assert job.partitions_def == bom_sync.partitions_def
    assert job.op_retry_policy == bom_sync.op_retry_policy


def test_schedules_and_sensors_target_the_celery_jobs(celery_defs):
    targets = [(s.job_name, s.job) for s in celery_defs.schedules]
    targets += [(t.job_name, t.job_def) for s in celery_defs.sensors for t in s.targets if t.has_job_def]
    assert {bom_sync.name, reconciliation.name} <= {name for name, _ in targets}
    assert {job.executor_def.name for name, job in targets if name != bom_plan.name} == {"celery_workers"}


def test_the_celery_workspace_loads_the_celery_definitions_from_the_repository_root():
    entry = yaml.safe_load(CELERY_WORKSPACE.read_text())["load_from"][0]["python_module"]
    assert (entry["module_name"], entry["attribute"]) == ("deploy.celery.definitions", "defs")
    assert (CELERY_WORKSPACE.parent / entry["working_directory"]).resolve() == ROOT


def k8s_values() -> dict:
    return yaml.safe_load(K8S_VALUES.read_text())


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def launcher_config_from_values(values: dict) -> dict:
    """runLauncher.config.k8sRunLauncher as the chart hands it to K8sRunLauncher (names for envSecrets/Maps)."""
    config = {}
    for key, value in values["runLauncher"]["config"]["k8sRunLauncher"].items():
        if key in ("envSecrets", "envConfigMaps"):
            value = [entry["name"] for entry in value]
        if key == "runK8sConfig":
            value = {snake(k): v for k, v in value.items()}
        config[snake(key)] = value
    return {**config, **CHART_SUPPLIED}


def test_the_k8s_values_launch_each_run_in_its_own_pod():
    assert k8s_values()["runLauncher"]["type"] == "K8sRunLauncher"


def test_the_k8s_run_launcher_config_validates_against_dagster_k8s():
    result = process_config(
        resolve_to_config_type(K8sRunLauncher.config_type()), launcher_config_from_values(k8s_values())
    )
    assert result.success, result.errors
    assert result.value["env_secrets"] == ["mfg-sync-systems"]


def test_the_k8s_values_use_the_plants_postgres_with_its_password_in_a_secret():
    values = k8s_values()
    assert values["postgresql"]["enabled"] is False
    assert values["generatePostgresqlPasswordSecret"] is False
    assert "postgresqlPassword" not in values["postgresql"]
    assert values["global"]["postgresqlSecretName"]


def keys_of(node) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in keys_of(value)}
    if isinstance(node, list):
        return {k for value in node for k in keys_of(value)}
    return set()


def test_the_k8s_values_hold_no_secret_value():
    assert not keys_of(k8s_values()) & {"postgresqlPassword", "password", "apiKey", "clientSecret", "token"}


def test_the_k8s_code_server_serves_the_project_definitions():
    deployment = k8s_values()["dagster-user-deployments"]["deployments"][0]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "orchestration.definitions", "-a", "defs"]
    assert [s["name"] for s in deployment["envSecrets"]] == ["mfg-sync-systems"]
