"""Fixtures: every store test runs against SQLite (a tmp file) and PostgreSQL (a throwaway schema).

PostgreSQL comes from MFG_SYNC_TEST_POSTGRES_URL; without it the PostgreSQL cases skip, or fail when
CI=true. Each test gets its own schema named `mfgsync_test_<session>_<n>`; all are dropped at the end.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text

from resources.state.store import StateStore, normalise_url

SESSION_PREFIX = f"mfgsync_test_{secrets.token_hex(4)}"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = os.environ.get("MFG_SYNC_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("MFG_SYNC_TEST_POSTGRES_URL is not set, and CI=true needs the PostgreSQL tests")
        pytest.skip("MFG_SYNC_TEST_POSTGRES_URL is not set")
    yield url
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        names = conn.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"), {"p": SESSION_PREFIX + "%"}
        ).scalars()
        for name in list(names):
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def new_store_args(backend: str, tmp_path, request: pytest.FixtureRequest) -> Callable[[], dict]:
    """Makes the (url, schema) of a fresh, empty state store on the test's backend."""

    def make() -> dict:
        n = next(_counter)
        if backend == "sqlite":
            return {"url": f"sqlite:///{tmp_path / f'state_{n}.db'}", "schema": None}
        return {"url": request.getfixturevalue("pg_url"), "schema": f"{SESSION_PREFIX}_{n}"}

    return make


@pytest.fixture
def new_store(new_store_args) -> Iterator[Callable[..., StateStore]]:
    """Opens fresh, empty stores; disposes their pools after the test."""
    opened: list[StateStore] = []

    def make(**engine_options) -> StateStore:
        args = new_store_args()
        store = StateStore(args["url"], schema=args["schema"], engine_options=engine_options or None)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.dispose()


@pytest.fixture
def store(new_store) -> StateStore:
    return new_store()
