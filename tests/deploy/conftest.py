"""Fixtures: a fresh PostgreSQL database loaded as the production Dagster instance (deploy/dagster.yaml).

The server comes from MFG_SYNC_TEST_POSTGRES_URL; without it these tests skip, or fail when CI=true.
Databases are named `mfgsync_dagster_<random>` and state-store schemas `mfgsync_deploy_<random>`; both
are dropped at the end, even when a test fails.
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
from sqlalchemy import URL, create_engine, text

from orchestration.instance_config import PRODUCTION_INSTANCE_YAML
from resources.state.store import normalise_url


@dataclass
class PostgresDeployment:
    """A Dagster instance on its own PostgreSQL database, loaded from deploy/dagster.yaml."""

    instance: dg.DagsterInstance
    home: Path
    dagster_db_url: URL  # the fresh database holding runs, event log and schedules
    state_url: str  # the same server, for the state store
    state_schema: str

    def reload(self) -> dg.DagsterInstance:
        """A second, independent instance over the same storage (what the webserver or daemon would see)."""
        return dg.DagsterInstance.from_config(str(self.home))


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("MFG_SYNC_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("MFG_SYNC_TEST_POSTGRES_URL is not set, and CI=true needs the PostgreSQL tests")
        pytest.skip("MFG_SYNC_TEST_POSTGRES_URL is not set")
    return url


def dagster_pg_env(server: URL, db_name: str) -> dict[str, str]:
    """The DAGSTER_PG_* variables deploy/dagster.yaml reads, for `db_name` on `server`."""
    return {
        "DAGSTER_PG_HOST": server.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(server.port or 5432),
        "DAGSTER_PG_USER": server.username or "postgres",
        "DAGSTER_PG_PASSWORD": server.password or "",
        "DAGSTER_PG_DB": db_name,
    }


@pytest.fixture(scope="module")
def pg_deployment(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresDeployment]:
    """deploy/dagster.yaml copied into a tmp DAGSTER_HOME, pointed by env vars at a brand-new database."""
    server = normalise_url(pg_server_url)
    db_name = f"mfgsync_dagster_{secrets.token_hex(4)}"
    schema = f"mfgsync_deploy_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses a transaction
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(PRODUCTION_INSTANCE_YAML, home / "dagster.yaml")
    instance = None
    with pytest.MonkeyPatch.context() as env:
        for name, value in dagster_pg_env(server, db_name).items():
            env.setenv(name, value)
        try:
            instance = dg.DagsterInstance.from_config(str(home))
            yield PostgresDeployment(instance, home, server.set(database=db_name), pg_server_url, schema)
        finally:
            if instance is not None:
                instance.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
