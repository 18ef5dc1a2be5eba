"""The EAM's `/_sandbox/*` controls: faults in Maximo's error shape, write counts, reset to a profile."""

from __future__ import annotations

try:
    from tests.sandbox_eam.eam_fixtures import WO, eam  # noqa: F401
except ImportError:  # tests/sandbox_eam is not a package: pytest put its folder on sys.path
    from eam_fixtures import WO, eam  # noqa: F401


def test_an_injected_outage_answers_503_in_maximos_error_shape(eam):
    _, client = eam
    client.put("/_sandbox/faults", json={"outage": True})
    response = client.get(WO)
    assert response.status_code == 503 and response.json()["Error"]["statusCode"] == "503"
    client.delete("/_sandbox/faults")
    assert client.get(WO).status_code == 200


def test_stats_count_calls_per_route_and_writes(eam):
    _, client = eam
    client.post("/_sandbox/stats/reset")
    client.get(WO, params={"oslc.select": "wonum"})
    client.post(WO, json={"description": "counted"})
    stats = client.get("/_sandbox/stats").json()
    assert stats["calls"] == {"GET /maximo/{root}/os/{structure}": 1, "POST /maximo/{root}/os/{structure}": 1}
    assert stats["writes"] == 1


def test_reset_to_the_large_profile_generates_the_requested_work_orders_and_back(eam):
    _, client = eam
    client.post(WO, json={"wonum": "GONE"})
    summary = client.post("/_sandbox/reset", json={"profile": "large", "params": {"workorders": 500}}).json()
    assert summary["summary"]["workorders"] == 500 and summary["summary"]["profile"] == "large"
    assert client.post("/_sandbox/reset").json()["summary"]["workorders"] == 60
    assert client.get(WO, params={"oslc.where": 'wonum="GONE"', "oslc.select": "wonum"}).json()["member"] == []


def test_same_seed_gives_the_same_work_orders(eam):
    _, client = eam
    params = {"oslc.select": "wonum,status,assetnum,wpmaterial{itemnum,itemqty}", "oslc.orderBy": "+wonum"}
    first = client.get(WO, params=params).json()["member"]
    client.post("/_sandbox/reset", json={"seed": 7})
    assert client.get(WO, params=params).json()["member"] == first
