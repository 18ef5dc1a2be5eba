"""Fixtures of the trigger tests: a state store in tmp, the receiver on a free port, a persistent Dagster
instance (sensor and schedule contexts need one), and the sandbox systems via tests/sync_harness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.triggers_config import WebhookSettings
from orchestration.webhooks import RunningReceiver, receiving
from resources.state import StateStore
from tests.sync_harness import SyncHarness, sync_harness


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    s.upgrade()
    yield s
    s.dispose()


@pytest.fixture
def receiver(store: StateStore) -> Iterator[RunningReceiver]:
    with receiving(store, WebhookSettings.from_env({"MFG_SYNC_PROFILE": "sandbox"})) as running:
        yield running


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[SyncHarness]:
    with sync_harness(tmp_path) as h:
        yield h
