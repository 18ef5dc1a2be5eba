"""Fixtures for the real-Tryton tests: the server venv and template database once per session, a server
on a free port per test module (a copy of the template), the PLM sandbox in-process.

Every test runs twice: on SQLite, and on PostgreSQL (`trytond[postgresql]`) as production runs Tryton;
the PostgreSQL server comes from MFG_SYNC_TEST_POSTGRES_URL (skipped without it, failed in CI).

Outside CI a machine that cannot install or start Tryton skips these tests; in CI (`CI=true`) that is
a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from orchestration.settings import REPO_ROOT, data_dir
from orchestration.tryton_postgres import PostgresTrytonServer, postgres_template
from orchestration.tryton_server import (
    Template,
    TrytonServer,
    TrytonServerError,
    ensure_installed,
    template_database,
)
from sandbox.plm import PLMSettings, create_app
from sandbox.server import serving
from sync.spec import MappingSpec
from sync.spec_builder import load_spec

SPEC_FILE = REPO_ROOT / "mappings" / "plm_to_tryton.yaml"


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Tryton is unavailable in CI: {why}")
    pytest.skip(f"Tryton is unavailable: {why}")


@pytest.fixture(scope="session")
def tryton_template() -> tuple[object, Template]:
    try:
        venv = ensure_installed()
        return venv, template_database(venv, data_dir() / "tryton" / "templates")
    except (TrytonServerError, OSError) as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="session")
def tryton_postgres_template(tryton_template) -> tuple[str, Template]:
    url = os.environ.get("MFG_SYNC_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("MFG_SYNC_TEST_POSTGRES_URL is not set, and CI=true needs Tryton on PostgreSQL")
        pytest.skip("MFG_SYNC_TEST_POSTGRES_URL is not set")
    venv, _ = tryton_template
    try:
        return url, postgres_template(venv, url, data_dir() / "tryton" / "templates")
    except (TrytonServerError, OSError) as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def tryton_server(request, tryton_template, tmp_path_factory) -> Iterator[TrytonServer]:
    """A Tryton server with its own copy of the template database, for the tests of one module."""
    venv, template = tryton_template
    run_dir = tmp_path_factory.mktemp("tryton")
    if request.param == "postgresql":
        url, pg_template = request.getfixturevalue("tryton_postgres_template")
        server = PostgresTrytonServer(venv=venv, run_dir=run_dir, template=pg_template, server_url=url)
    else:
        server = TrytonServer(venv=venv, run_dir=run_dir, template=template)
    try:
        server.start()
    except TrytonServerError as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        server.drop() if isinstance(server, PostgresTrytonServer) else server.stop()


@pytest.fixture(scope="session")
def tryton_spec() -> MappingSpec:
    return load_spec(SPEC_FILE)


@pytest.fixture(scope="module")
def plm_url() -> Iterator[str]:
    """A PLM sandbox (in memory) for the tests of one module."""
    with serving(create_app(PLMSettings(rate_limit=None))) as url:
        yield url
