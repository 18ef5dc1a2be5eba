"""Client-side token bucket and the system's remaining-quota headers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from resources.transport import ApiClient, QuotaHeaders, RateLimit
from tests.resources.transport_fixtures import Server, fast_policy, server_fixture  # noqa: F401


def test_burst_beyond_the_bucket_is_spaced_across_threads(server: Server) -> None:
    policy = fast_policy()
    policy = type(policy)(retry=policy.retry, rate_limit=RateLimit(requests=10, period_s=1.0, burst=2))
    with ApiClient("plm", server.base_url, policy=policy) as client, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: client.get(f"/api/items/{i}", route="/api/items/{i}"), range(6)))
        waited = client.metrics.snapshot()["rate_limit_wait_s"]
    arrivals = sorted(h.at for h in server.state.hits)
    # 2 free in the burst, then 4 more at 10/s: the 6th arrives >= 0.4s after the first
    assert len(arrivals) == 6
    assert arrivals[-1] - arrivals[0] >= 0.3  # slack: the first arrival may lag its send
    assert waited >= 0.4 * 0.9


def test_requests_within_the_bucket_do_not_wait(server: Server) -> None:
    policy = type(fast_policy())(rate_limit=RateLimit(requests=5, period_s=1.0))
    with ApiClient("plm", server.base_url, policy=policy) as client:
        for _ in range(5):
            client.get("/api/items")
        assert client.metrics.snapshot()["rate_limit_wait_s"] == 0


def test_zero_remaining_quota_pauses_until_reset(server: Server) -> None:
    server.state.quota_remaining = 2
    server.state.quota_reset_s = 0.5
    policy = type(fast_policy())(quota=QuotaHeaders(reset_kind="delta"))
    with ApiClient("erp", server.base_url, policy=policy) as client:
        for _ in range(3):
            client.get("/api/materials")
        snap = client.metrics.snapshot()
    hits = server.state.hits_for("/api/materials")
    # the 2nd answer said remaining=0, reset in 0.5s: the 3rd request waited for it
    assert hits[2].at - hits[1].at >= 0.45
    assert snap["quota_wait_s"] >= 0.4
