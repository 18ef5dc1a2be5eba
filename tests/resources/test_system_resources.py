"""One transport base under the PLM, ERP and EAM resources: each keeps its own pace, timeouts and extras."""

from __future__ import annotations

import pytest

from resources.eam.resource import EAMResource
from resources.erp.sap.resource import ERPResource
from resources.plm.resource import ARENA_QUOTA, PLMResource
from resources.system_resource import HttpSystemResource
from resources.transport import ApiClient, SystemClient


@pytest.mark.parametrize(
    ("resource", "pace", "read_timeout_s"),
    [(PLMResource(), 10, 30.0), (ERPResource(), 15, 60.0), (EAMResource(), 20, 60.0)],
)
def test_each_system_keeps_its_own_pace_and_read_timeout(resource, pace, read_timeout_s) -> None:
    policy = resource.policy()
    assert isinstance(resource, HttpSystemResource)
    assert (policy.rate_limit.requests, policy.timeouts.read_s) == (pace, read_timeout_s)


@pytest.mark.parametrize("kind", [PLMResource, ERPResource, EAMResource])
def test_the_shared_settings_reach_the_policy_of_every_system(kind) -> None:
    policy = kind(
        rate_limit_requests=3,
        rate_limit_period_s=2.0,
        max_attempts=4,
        backoff_initial_s=0.1,
        backoff_max_s=1.0,
        total_budget_s=9.0,
        connect_timeout_s=1.5,
        correlation_header="X-Run",
    ).policy()
    assert (policy.rate_limit.requests, policy.rate_limit.period_s) == (3, 2.0)
    assert (
        policy.retry.max_attempts,
        policy.retry.backoff_initial_s,
        policy.retry.backoff_max_s,
        policy.retry.total_budget_s,
    ) == (4, 0.1, 1.0, 9.0)
    assert (policy.timeouts.connect_s, policy.correlation_header) == (1.5, "X-Run")


def test_the_plm_policy_reads_arenas_quota_and_widens_the_pool_with_the_walk() -> None:
    policy = PLMResource(max_concurrency=12).policy()
    assert policy.quota == ARENA_QUOTA
    assert (policy.max_connections, policy.max_keepalive_connections) == (14, 12)
    assert policy.secret_headers == ("arena_session_id",)


def test_the_erp_policy_waits_as_long_to_write_as_to_read_and_looks_for_sap_request_ids_first() -> None:
    policy = ERPResource(read_timeout_s=45.0, retry_after_cap_s=20.0, max_connections=6).policy()
    assert (policy.timeouts.write_s, policy.timeouts.pool_s) == (45.0, 45.0)
    assert policy.retry.retry_after_cap_s == 20.0
    assert (policy.max_connections, policy.max_keepalive_connections) == (6, 6)
    assert policy.request_id_headers[0] == "sap-request-id"


def test_an_erp_without_a_pace_has_no_client_side_limit() -> None:
    assert ERPResource(rate_limit_requests=None).policy().rate_limit is None


def test_the_eam_policy_counts_maximos_credentials_as_secret_headers() -> None:
    assert EAMResource().policy().secret_headers == ("apikey", "maxauth", "cookie")


def test_a_system_client_closes_its_transport_on_leaving_a_with_block() -> None:
    api = ApiClient("plm", "http://127.0.0.1:9")
    with SystemClient(api) as client:
        assert client.metrics is api.metrics
    assert api.http.is_closed
