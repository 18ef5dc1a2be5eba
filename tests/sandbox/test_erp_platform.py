"""The ERP sandbox as a system: rate limits, persistence across restarts, stats and reset."""

from __future__ import annotations

try:
    from tests.sandbox.erp_fixtures import (  # noqa: F401
        PRELOADED,
        PRODUCT_SRV,
        erp,
        erp_server,
        error_code,
        running_erp,
    )
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from erp_fixtures import PRELOADED, PRODUCT_SRV, erp, erp_server, error_code, running_erp  # noqa: F401

from sandbox.erp import ERPSettings, connection_facts


def test_rate_limit_answers_429_with_retry_after(erp):
    _, client = erp
    client.put("/_sandbox/faults", json={"rate_limit": 2, "rate_window_s": 30}).raise_for_status()
    statuses = [client.product(PRELOADED) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    limited = statuses[2]
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert error_code(limited) == "/IWFND/CM_COS/429"
    assert statuses[0].headers["X-RateLimit-Limit"] == "2"


def test_default_settings_carry_an_sap_like_rate_limit():
    assert ERPSettings().rate_limit == 1200


def test_state_survives_a_restart_on_the_same_file(tmp_path):
    db = str(tmp_path / "erp.db")
    with running_erp(db_path=db) as (_, client):
        assert client.create_product("KEEP-1").status_code == 201
    with running_erp(db_path=db) as (_, client):
        assert client.product("KEEP-1").json()["d"]["Product"] == "KEEP-1"
        assert client.get("/_sandbox/summary").json()["products"] == 9


def test_stats_count_calls_by_route_and_writes(erp):
    _, client = erp
    client.post("/_sandbox/stats/reset").raise_for_status()
    client.product(PRELOADED)
    client.create_product("STAT-1")
    stats = client.stats()
    assert stats["system"] == "erp"
    assert stats["calls"]["GET /sap/opu/odata/sap/API_PRODUCT_SRV/A_Product({key})"] == 1
    assert stats["calls"]["POST /sap/opu/odata/sap/API_PRODUCT_SRV/A_Product"] == 1
    assert stats["writes"] == 3  # product, description, plant


def test_failed_write_counts_no_write(erp):
    _, client = erp
    client.post("/_sandbox/stats/reset").raise_for_status()
    assert client.create_product(PRELOADED).status_code == 400
    assert client.stats()["writes"] == 0


def test_reset_reseeds_the_preloaded_materials(erp):
    _, client = erp
    client.create_product("GONE-1").raise_for_status()
    body = client.post("/_sandbox/reset").json()
    assert body["summary"]["products"] == 8 and body["summary"]["boms"] == 0
    assert client.product("GONE-1").status_code == 404


def test_connection_facts_name_endpoints_and_sandbox_credentials():
    facts = connection_facts(ERPSettings(), "http://127.0.0.1:8102/")
    assert facts["token_url"] == "http://127.0.0.1:8102/sap/bc/sec/oauth2/token"
    assert set(facts) == {"base_url", "token_url", "client_id", "client_secret", "username", "password"}
