"""Retries ride out an outage: the time budget decides, not a handful of attempts; Retry-After spends none.

Time is scaled down (backoff and budget alike) so the tests are fast; what they assert is counted calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from resources.erp.sap.http import SapCsrf
from resources.transport import ApiClient, BasicAuth, RetryPolicy, ServiceUnavailableError
from sandbox.server import serving
from tests.resources.flaky_app import Scripted
from tests.resources.transport_fixtures import Server, fast_policy, server_fixture  # noqa: F401

# The production defaults scaled by 1/20: 0.5 s -> 25 ms initial backoff, 30 s -> 1.5 s cap, 120 s -> 6 s budget.
SCALED_DEFAULTS = RetryPolicy(backoff_initial_s=0.025, backoff_max_s=1.5, total_budget_s=6.0)
SCALED_OLD_ATTEMPTS = 5  # the old default: 5 attempts, whatever the budget


class Outage:
    """A system that answers 503 for `duration_s` from its first request on, then 200: counts every call."""

    def __init__(self, duration_s: float) -> None:
        self.duration_s, self.calls, self.down_until = duration_s, 0, None
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/api/items", self.answer, methods=["GET"])])

    async def answer(self, request: Request) -> JSONResponse:
        with self._lock:
            self.calls += 1
            now = time.monotonic()
            self.down_until = self.down_until or now + self.duration_s
            down = now < self.down_until
        return JSONResponse({"down": down}, status_code=503 if down else 200)


@pytest.fixture
def outage() -> Iterator[tuple[Outage, str]]:
    system = Outage(duration_s=1.0)  # a 20 s outage, scaled by 1/20 like the policy
    with serving(system.app) as base_url:
        yield system, base_url


def test_eight_consecutive_503s_are_ridden_out_by_default(server: Server) -> None:
    server.state.script("/api/items", *[503] * 8)
    with ApiClient("plm", server.base_url, policy=fast_policy(max_attempts=None)) as client:
        response = client.get("/api/items")
        snap = client.metrics.snapshot()
    assert response.status_code == 200
    assert len(server.state.hits_for("/api/items")) == 9
    assert snap["retries"] == 8 and snap["status"] == {"503": 8, "200": 1}


def test_a_20_s_outage_is_ridden_out_within_the_budget(outage: tuple[Outage, str]) -> None:
    system, base_url = outage
    policy = fast_policy(
        **{
            f: getattr(SCALED_DEFAULTS, f)
            for f in ("max_attempts", "backoff_initial_s", "backoff_max_s", "total_budget_s")
        }
    )
    with ApiClient("plm", base_url, policy=policy) as client:
        response = client.get("/api/items")
        snap = client.metrics.snapshot()
    assert response.status_code == 200
    assert system.calls > SCALED_OLD_ATTEMPTS  # beyond what the old 5 attempts could reach
    assert snap["attempts"] == system.calls and snap["retries"] == system.calls - 1


def test_the_same_outage_defeats_a_configured_limit_of_5_attempts(outage: tuple[Outage, str]) -> None:
    system, base_url = outage
    policy = fast_policy(
        max_attempts=SCALED_OLD_ATTEMPTS, backoff_initial_s=0.025, backoff_max_s=1.5, total_budget_s=6.0
    )
    with ApiClient("plm", base_url, policy=policy) as client, pytest.raises(ServiceUnavailableError) as caught:
        client.get("/api/items")
    assert system.calls == 5
    assert caught.value.attempts == 5 and "attempt limit of 5 reached" in str(caught.value)


def test_a_spent_budget_fails_with_a_typed_error_naming_attempts_and_time(server: Server) -> None:
    server.state.script("/api/items", *[503] * 1000)
    policy = fast_policy(max_attempts=None, backoff_initial_s=0.01, backoff_max_s=0.02, total_budget_s=0.3)
    with ApiClient("plm", server.base_url, policy=policy) as client, pytest.raises(ServiceUnavailableError) as caught:
        client.get("/api/items", route="/api/items")
    err, calls = caught.value, len(server.state.hits_for("/api/items"))
    assert err.retryable and err.status == 503 and err.attempts == calls > 5
    assert err.elapsed_s is not None
    assert f"gave up after {calls} attempt(s) in " in str(err) and "retry budget of 0.3 s spent" in str(err)


def test_retry_after_answers_do_not_spend_configured_attempts(server: Server) -> None:
    server.state.script("/api/items", *[Scripted(429, headers={"Retry-After": "0"})] * 3)
    with ApiClient("plm", server.base_url, policy=fast_policy(max_attempts=2)) as client:
        assert client.get("/api/items").status_code == 200
    assert len(server.state.hits_for("/api/items")) == 4


def test_the_sap_csrf_token_fetch_is_retried_on_500(server: Server) -> None:
    s = server.state
    s.auth_mode, s.csrf_required = "basic", True
    root = "/api/sap/opu/odata/sap/API_PRODUCT_SRV/"
    s.script(root, 500, 500)
    with ApiClient(
        "erp",
        server.base_url,
        policy=fast_policy(),
        auth=BasicAuth(s.basic_user, s.basic_password),
        hooks=[SapCsrf(root)],
    ) as client:
        response = client.post(f"{root}A_Product", json={"Product": "P-1"})
        events = client.metrics.snapshot()["events"]
    assert response.status_code == 200
    assert len(s.hits_for(root)) == 3 and len(s.hits_for(f"{root}A_Product")) == 1
    assert events["csrf_fetch"] == 1
