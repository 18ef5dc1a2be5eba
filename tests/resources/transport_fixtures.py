"""Fixtures for the transport tests (import them into a test module; no conftest by design)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from resources.transport import RetryPolicy, Timeouts, TransportPolicy
from sandbox.server import serving
from tests.resources.flaky_app import FlakyState, make_flaky_app


def fast_policy(**retry: Any) -> TransportPolicy:
    """Tiny backoffs so retry tests take milliseconds; override any RetryPolicy field."""
    base = RetryPolicy(
        max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05, total_budget_s=10.0, retry_after_cap_s=5.0
    )
    return TransportPolicy(retry=replace(base, **retry), timeouts=Timeouts(connect_s=2, read_s=2, write_s=2, pool_s=2))


class Server:
    def __init__(self, base_url: str, state: FlakyState) -> None:
        self.base_url, self.state = base_url, state


@pytest.fixture(name="server")
def server_fixture() -> Iterator[Server]:
    """A fresh flaky_app served over real HTTP on loopback for one test."""
    app = make_flaky_app()
    with serving(app) as base_url:
        yield Server(base_url, app.state.flaky)
