"""The instance configs in deploy/: both validate against Dagster's schema; the local one is the make-demo default."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
from dagster._config import process_config, resolve_to_config_type
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import pg_url_from_config
from sqlalchemy.engine import make_url

from orchestration.instance_config import LOCAL_INSTANCE_YAML, PRODUCTION_INSTANCE_YAML, ensure_local_instance
from tests.deploy.conftest import dagster_pg_env

PG_ENV = {
    "DAGSTER_PG_HOST": "db.plant.example",
    "DAGSTER_PG_PORT": "6432",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "s3cret/with@odd:chars",
    "DAGSTER_PG_DB": "dagster",
}


def test_the_local_config_loads_as_a_real_instance_with_sqlite_storage_under_its_home(tmp_path):
    instance = dg.DagsterInstance.from_config(str(ensure_local_instance(tmp_path).parent))
    try:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert (tmp_path / "history").is_dir()  # SQLite run storage lives under DAGSTER_HOME
    finally:
        instance.dispose()


def test_the_local_config_bounds_runs_and_pools_and_turns_telemetry_off(tmp_path):
    config, _ = dagster_instance_config(str(ensure_local_instance(tmp_path).parent))
    assert config["concurrency"]["pools"]["default_limit"] >= 1
    assert config["concurrency"]["runs"]["max_concurrent_runs"] >= 1
    assert config["telemetry"] == {"enabled": False}


def test_ensure_local_instance_writes_the_embedded_default_into_an_empty_home(tmp_path):
    home = tmp_path / "fresh" / "dagster_home"
    written = ensure_local_instance(home)
    assert written == home / "dagster.yaml"
    assert written.read_text() == LOCAL_INSTANCE_YAML.read_text()
    assert [p.name for p in home.iterdir()] == ["dagster.yaml"]


def test_ensure_local_instance_leaves_an_existing_instance_config_alone(tmp_path):
    shutil.copyfile(PRODUCTION_INSTANCE_YAML, tmp_path / "dagster.yaml")
    assert ensure_local_instance(tmp_path) == tmp_path / "dagster.yaml"
    assert (tmp_path / "dagster.yaml").read_text() == PRODUCTION_INSTANCE_YAML.read_text()


def production_storage_url(home) -> str:
    """The PostgreSQL URL dagster-postgres builds from deploy/dagster.yaml (config only: no connection)."""
    config, _ = dagster_instance_config(str(home))
    result = process_config(resolve_to_config_type(DagsterPostgresStorage.config_type()), config["storage"]["postgres"])
    assert result.success, result.errors
    return pg_url_from_config(result.value)


def test_the_production_config_reads_its_postgres_connection_from_the_environment(tmp_path, monkeypatch):
    shutil.copyfile(PRODUCTION_INSTANCE_YAML, tmp_path / "dagster.yaml")
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    url = make_url(production_storage_url(tmp_path))
    # psycopg2 named explicitly: SQLAlchemy 2.1 would otherwise look for psycopg 3
    assert url.drivername == "postgresql+psycopg2"
    assert (url.host, url.port, url.username, url.database) == ("db.plant.example", 6432, "dagster", "dagster")
    assert url.password == PG_ENV["DAGSTER_PG_PASSWORD"]


def test_the_production_config_bounds_runs_and_pools_and_turns_telemetry_off(tmp_path):
    shutil.copyfile(PRODUCTION_INSTANCE_YAML, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["pools"]["default_limit"] >= 1
    assert config["concurrency"]["runs"]["max_concurrent_runs"] >= 1
    assert config["telemetry"] == {"enabled": False}


def test_the_production_config_holds_no_connection_value_itself():
    text = PRODUCTION_INSTANCE_YAML.read_text()
    for name in PG_ENV:
        assert f"{{env: {name}}}" in text


def test_the_production_instance_refuses_to_load_and_names_a_missing_variable(tmp_path, monkeypatch):
    shutil.copyfile(PRODUCTION_INSTANCE_YAML, tmp_path / "dagster.yaml")
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_PG_HOST")
    with pytest.raises(DagsterInvalidConfigError, match="DAGSTER_PG_HOST"):
        dg.DagsterInstance.from_config(str(tmp_path))


def test_the_test_env_for_a_server_url_points_at_the_named_database():
    env = dagster_pg_env(make_url("postgresql+psycopg2://postgres@127.0.0.1:5432/test"), "mfgsync_dagster_x")
    assert env == {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_USER": "postgres",
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": "mfgsync_dagster_x",
    }


@pytest.mark.parametrize("config_file", [LOCAL_INSTANCE_YAML, PRODUCTION_INSTANCE_YAML], ids=["local", "production"])
def test_run_monitoring_fails_runs_whose_process_died_and_frees_their_slots(tmp_path, config_file):
    shutil.copyfile(config_file, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] is True and monitoring["max_resume_run_attempts"] == 0
    assert monitoring["poll_interval_seconds"] > 0 and monitoring["free_slots_after_run_end_seconds"] > 0
