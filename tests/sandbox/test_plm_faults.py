"""Injected faults reach the client as Arena would answer them; stats count what was called."""

from __future__ import annotations

import httpx
import pytest

try:
    from tests.sandbox.plm_fixtures import plm  # noqa: F401
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from plm_fixtures import plm  # noqa: F401


def test_rate_limit_answers_429_with_retry_after_and_arena_quota_headers(plm):
    _, client = plm
    client.put("/_sandbox/faults", json={"rate_limit": 3, "rate_window_s": 30}).raise_for_status()
    answers = [client.get("/v1/items", params={"limit": 1}) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-Arena-Requests-Remaining"] == "2"
    assert "X-Arena-Next-Request-Limit-Reset" in answers[0].headers
    limited = answers[3]
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-Arena-Requests-Remaining"] == "0"
    assert limited.json()["status"] == 429 and limited.json()["errors"][0]["code"] == 429


def test_default_settings_carry_an_arena_like_rate_limit():
    from sandbox.plm import PLMSettings, create_app

    app = create_app(PLMSettings())
    assert app.sandbox.control.faults.rate_limit == 600


def test_outage_answers_503_with_arena_body(plm):
    _, client = plm
    client.put("/_sandbox/faults", json={"outage": True})
    response = client.get("/v1/items")
    assert response.status_code == 503 and response.json()["errors"][0]["code"] == 503
    client.delete("/_sandbox/faults")
    assert client.get("/v1/items").status_code == 200


def test_fail_next_fails_exactly_n_requests(plm):
    _, client = plm
    client.put("/_sandbox/faults", json={"fail_next": 2, "fail_next_status": 500})
    assert [client.get("/v1/items").status_code for _ in range(3)] == [500, 500, 200]


def test_error_rate_fails_a_share_of_requests(plm):
    _, client = plm
    client.put("/_sandbox/faults", json={"error_rate": 0.5, "error_status": 502})
    statuses = {client.get("/v1/items", params={"limit": 1}).status_code for _ in range(40)}
    assert statuses == {200, 502}


def test_latency_delays_answers_past_a_short_client_timeout(plm):
    _, client = plm
    client.put("/_sandbox/faults", json={"latency_ms": 800})
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/items", timeout=0.2)
    client.put("/_sandbox/faults", json={"latency_ms": 0})
    assert client.get("/v1/items").status_code == 200


def test_stats_count_calls_by_route_template_and_writes(plm):
    _, client = plm
    client.post("/_sandbox/stats/reset")
    top = client.item("ASM-10002")
    client.get(f"/v1/items/{top['guid']}/bom")
    client.get(f"/v1/items/{top['guid']}/bom")
    client.post("/v1/changes", json={"title": "counted"})
    stats = client.get("/_sandbox/stats").json()
    assert stats["calls"]["GET /v1/items/{guid}/bom"] == 2
    assert stats["calls"]["GET /v1/items"] == 1
    assert stats["writes"] == 1


def test_reset_reseeds_and_unknown_setting_is_rejected(plm):
    app, client = plm
    client.post("/v1/changes", json={"title": "to be wiped"})
    before = app.sandbox.summary()["changes"]
    summary = client.post("/_sandbox/reset", json={"seed": 7}).json()["summary"]
    assert summary["changes"] == before - 1
    assert client.put("/_sandbox/settings", json={"no_such_setting": 1}).status_code == 400
