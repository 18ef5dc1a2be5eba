"""An OAuth token is fetched once per process and ERP, not once per client (each asset step opens one)."""

from tests.resources import erp_fixtures
from tests.resources.erp_fixtures import ERPSandbox

erp_sandbox = erp_fixtures.erp_sandbox  # the fixture, shared without a conftest


def _token_requests(erp_sandbox: ERPSandbox) -> int:
    routes = erp_sandbox.stats()["calls"]
    return sum(n for route, n in routes.items() if "oauth2/token" in route)


def test_clients_of_one_process_share_a_live_token(erp_sandbox: ERPSandbox) -> None:
    for _ in range(3):  # three steps of a run, each with its own client
        with erp_sandbox.resource().client() as erp:
            erp.read_materials(["PRT-NONE"])
    assert _token_requests(erp_sandbox) == 1


def test_a_rejected_cached_token_is_renewed(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        erp.read_materials(["PRT-NONE"])
    erp_sandbox.app.sandbox.security._tokens.clear()  # the ERP forgets the tokens it issued (a restart)
    with erp_sandbox.resource().client() as erp:
        erp.read_materials(["PRT-NONE"])
        assert erp.metrics.snapshot()["events"]["token_fetch"] == 1
