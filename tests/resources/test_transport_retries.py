"""Retries only where safe, with backoff, Retry-After, attempt and time budgets."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from resources.transport import ApiClient, RateLimitedError, ServiceUnavailableError, TransientError
from tests.resources.flaky_app import Scripted
from tests.resources.transport_fixtures import Server, fast_policy, server_fixture  # noqa: F401


def test_503_is_retried_until_success_and_retries_are_counted(server: Server) -> None:
    server.state.script("/api/items", 503, 503)
    with ApiClient("plm", server.base_url, policy=fast_policy()) as client:
        response = client.get("/api/items", route="/api/items")
        snap = client.metrics.snapshot()
    assert response.status_code == 200
    assert len(server.state.hits_for("/api/items")) == 3
    assert snap["retries"] == 2 and snap["attempts"] == 3 and snap["calls"] == 1
    assert snap["status"] == {"503": 2, "200": 1}


def test_post_is_not_retried_unless_marked_idempotent(server: Server) -> None:
    server.state.script("/api/boms", 503, 503)
    with ApiClient("erp", server.base_url, policy=fast_policy()) as client:
        with pytest.raises(ServiceUnavailableError) as caught:
            client.post("/api/boms", json={"material": "M-1"})
        assert len(server.state.hits_for("/api/boms")) == 1
        assert caught.value.retryable is True and caught.value.status == 503
        response = client.post("/api/boms", json={"material": "M-1"}, idempotent=True)
    assert response.status_code == 200
    assert len(server.state.hits_for("/api/boms")) == 3


def test_500_is_retried_for_reads_but_not_for_puts(server: Server) -> None:
    server.state.script("/api/read", 500)
    server.state.script("/api/write", 500)
    with ApiClient("erp", server.base_url, policy=fast_policy()) as client:
        assert client.get("/api/read").status_code == 200
        with pytest.raises(TransientError):
            client.put("/api/write", json={"a": 1})
    assert len(server.state.hits_for("/api/read")) == 2
    assert len(server.state.hits_for("/api/write")) == 1


def test_429_retry_after_is_waited_out(server: Server) -> None:
    server.state.script("/api/items", Scripted(429, headers={"Retry-After": "1"}))
    with ApiClient("plm", server.base_url, policy=fast_policy()) as client:
        assert client.get("/api/items").status_code == 200
        waited = client.metrics.snapshot()["retry_wait_s"]
    first, second = server.state.hits_for("/api/items")
    assert waited >= 1.0
    assert second.at - first.at >= 1.0


def test_retry_after_as_http_date_is_honoured(server: Server) -> None:
    server.state.script("/api/items", Scripted(503, headers={"Retry-After": formatdate(time.time() + 2, usegmt=True)}))
    with ApiClient("plm", server.base_url, policy=fast_policy()) as client:
        client.get("/api/items")
        # HTTP dates have whole-second resolution: roughly 1-2s remain, far above the 0.05s backoff cap
        assert client.metrics.snapshot()["retry_wait_s"] >= 0.5


def test_full_outage_raises_retryable_error_after_max_attempts(server: Server) -> None:
    server.state.script("/api/items/42", *[503] * 10)
    with ApiClient("plm", server.base_url, policy=fast_policy(max_attempts=3)) as client:
        with pytest.raises(ServiceUnavailableError) as caught:
            client.get("/api/items/42", route="/api/items/{id}")
        routes = client.metrics.snapshot()["routes"]
    assert len(server.state.hits_for("/api/items/42")) == 3
    err = caught.value
    assert err.retryable and err.system == "plm" and err.method == "GET" and err.route == "/api/items/{id}"
    assert err.request_id.startswith("req-")
    assert routes == {
        "GET /api/items/{id}": {
            "calls": 1,
            "attempts": 3,
            "errors": 1,
            "time_s": routes["GET /api/items/{id}"]["time_s"],
        }
    }


def test_persistent_429_becomes_rate_limited_error(server: Server) -> None:
    server.state.script("/api/items", *[429] * 5)
    with (
        ApiClient("plm", server.base_url, policy=fast_policy(max_attempts=2)) as client,
        pytest.raises(RateLimitedError),
    ):
        client.get("/api/items")


def test_total_time_budget_stops_retries_early(server: Server) -> None:
    server.state.script("/api/items", *[Scripted(503, headers={"Retry-After": "1"})] * 10)
    policy = fast_policy(max_attempts=10, total_budget_s=1.5)
    with ApiClient("plm", server.base_url, policy=policy) as client, pytest.raises(ServiceUnavailableError):
        client.get("/api/items")
    # 1st at 0s, 2nd at 1s; a 3rd would start at 2s > budget, so it is never sent
    assert len(server.state.hits_for("/api/items")) == 2


def test_read_timeout_is_retried_then_typed(server: Server) -> None:
    server.state.script("/api/slow", *[Scripted(200, delay_s=0.5)] * 3)
    policy = fast_policy(max_attempts=2)
    with ApiClient("plm", server.base_url, policy=policy) as client, pytest.raises(TransientError) as caught:
        client.get("/api/slow", timeout=0.2)
    assert caught.value.code == "ReadTimeout" and caught.value.status is None and caught.value.retryable
    assert client.metrics.snapshot()["status"] == {"ReadTimeout": 2}


def test_connection_refused_is_transient() -> None:
    from sandbox.server import bind_socket

    sock = bind_socket()  # bound but never listening: connections are refused
    port = sock.getsockname()[1]
    try:
        with (
            ApiClient("eam", f"http://127.0.0.1:{port}", policy=fast_policy(max_attempts=2)) as client,
            pytest.raises(TransientError) as caught,
        ):
            client.post("/api/wo", json={})
    finally:
        sock.close()
    # never connected, so even a POST is safely retried
    assert caught.value.code == "ConnectError"
    assert client.metrics.snapshot()["attempts"] == 2


def test_slow_body_within_read_timeout_succeeds(server: Server) -> None:
    server.state.script("/api/slow", Scripted(200, slow_body_s=0.1))
    with ApiClient("plm", server.base_url, policy=fast_policy()) as client:
        assert client.get("/api/slow").json() == {"slow": True}
        assert client.metrics.snapshot()["bytes_received"] == len(b'{"slow": true}')
