"""The sandbox PLM answers like Arena's REST API v1: sessions, paging, filters, BOMs, where-used."""

from __future__ import annotations

import httpx
import pytest

try:
    from tests.sandbox.plm_fixtures import LOGIN, plm, plm_shared, running_plm  # noqa: F401
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from plm_fixtures import LOGIN, plm, plm_shared, running_plm  # noqa: F401


def test_login_returns_arena_session_fields(plm_shared):
    _, client = plm_shared
    body = httpx.post(f"{client.base_url}/v1/login", json=LOGIN).json()
    assert set(body) == {"arenaSessionId", "workspaceId", "workspaceName", "workspaceRequestLimit"}
    assert body["workspaceId"] == 100001


def test_bad_password_is_arena_error_4001(plm_shared):
    _, client = plm_shared
    response = httpx.post(f"{client.base_url}/v1/login", json={**LOGIN, "password": "wrong"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 4001


def test_call_without_session_is_401_with_arena_body(plm_shared):
    _, client = plm_shared
    response = httpx.get(f"{client.base_url}/v1/items")
    assert response.status_code == 401
    assert response.json() == {"status": 401, "errors": [response.json()["errors"][0]]}


def test_expired_session_is_401_then_relogin_works(plm):
    _, client = plm
    assert client.get("/v1/items").status_code == 200
    client.post("/_sandbox/expire", json={"credentials": "sessions"}).raise_for_status()  # as if left idle
    expired = client.get("/v1/items")
    assert expired.status_code == 401
    assert "expired" in expired.json()["errors"][0]["message"]
    client.login()
    assert client.get("/v1/items").status_code == 200


def test_logout_ends_the_session(plm):
    _, client = plm
    assert client.put("/v1/logout").status_code == 200
    assert client.get("/v1/items").status_code == 401


def test_paging_reaches_the_last_record(plm_shared):
    app, client = plm_shared
    total = app.sandbox.summary()["items"]
    numbers, offset = [], 0
    while True:
        page = client.get("/v1/items", params={"offset": offset, "limit": 400}).json()
        numbers += [r["number"] for r in page["results"]]
        if page["count"] < 400:
            break
        offset += 400
    assert len(numbers) == len(set(numbers)) == total
    assert numbers == sorted(numbers)


def test_default_page_is_20_and_limit_over_400_is_rejected(plm_shared):
    _, client = plm_shared
    assert client.get("/v1/items").json()["count"] == 20
    response = client.get("/v1/items", params={"limit": 401})
    assert response.status_code == 400
    assert "400" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "params, check",
    [
        ({"number": "ASM-*"}, lambda r: r["number"].startswith("ASM-")),
        ({"name": "*Pump Skid*"}, lambda r: "Pump Skid" in r["name"]),
        ({"category.name": "Fastener"}, lambda r: r["category"]["name"] == "Fastener"),
        ({"lifecyclePhase.name": "In Design"}, lambda r: r["lifecyclePhase"]["name"] == "In Design"),
    ],
)
def test_item_filters_select_matching_items(plm_shared, params, check):
    _, client = plm_shared
    results = client.get("/v1/items", params={**params, "limit": 400}).json()["results"]
    assert results and all(check(r) for r in results)


def test_category_guid_filter_matches_category_name_filter(plm_shared):
    _, client = plm_shared
    by_name = client.get("/v1/items", params={"category.name": "Assembly", "limit": 400}).json()["results"]
    guid = by_name[0]["category"]["guid"]
    by_guid = client.get("/v1/items", params={"category.guid": guid, "limit": 400}).json()["results"]
    assert [r["number"] for r in by_guid] == [r["number"] for r in by_name]


def test_item_carries_uom_category_phase_and_make_buy(plm_shared):
    _, client = plm_shared
    fastener = client.get("/v1/items", params={"category.name": "Fastener", "limit": 1}).json()["results"][0]
    item = client.get(f"/v1/items/{fastener['guid']}").json()
    attributes = {a["apiName"]: a["value"] for a in item["additionalAttributes"]}
    assert item["uom"] == "EA" and item["revisionNumber"] and attributes["makeBuy"] == "BUY"


def test_unknown_guid_is_arena_error_3011(plm_shared):
    _, client = plm_shared
    response = client.get("/v1/items/NOSUCHGUID000000000/bom")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 3011


def test_revisions_show_working_effective_and_superseded(plm_shared):
    _, client = plm_shared
    item = client.get("/v1/items", params={"number": "ASM-10001"}).json()["results"][0]
    statuses = {r["status"]: r for r in client.get(f"/v1/items/{item['guid']}/revisions").json()["results"]}
    assert statuses[0]["number"] is None
    assert statuses[1]["number"] == item["revisionNumber"] and statuses[1]["guid"] == item["guid"]
    if item["revisionNumber"] != "A":
        assert statuses[2]["supersededDateTime"] is not None


def test_bom_lines_have_arena_fields_and_where_used_points_back(plm_shared):
    _, client = plm_shared
    top = client.item("ASM-10001")
    lines = client.get(f"/v1/items/{top['guid']}/bom").json()["results"]
    assert lines and set(lines[0]) >= {"guid", "lineNumber", "quantity", "refDes", "notes", "item"}
    child = lines[0]["item"]
    assert set(child) >= {"guid", "number", "name", "revisionNumber", "uom"}
    parents = client.get(f"/v1/items/{child['guid']}/whereused").json()["results"]
    assert "ASM-10001" in [p["item"]["number"] for p in parents]


def test_deep_assembly_has_600_components_over_10_levels(plm_shared):
    _, client = plm_shared
    top = client.item("ASM-10001")
    seen, depth, frontier = set(), 0, [top["guid"]]
    while frontier:
        next_frontier = []
        for guid in frontier:
            for line in client.get(f"/v1/items/{guid}/bom").json()["results"]:
                if line["item"]["number"] not in seen:
                    seen.add(line["item"]["number"])
                    next_frontier.append(line["item"]["guid"])
        if next_frontier:
            depth += 1
        frontier = next_frontier
    assert len(seen) >= 600
    assert depth == 10


def test_shared_subassembly_is_used_by_two_top_assemblies(plm_shared):
    _, client = plm_shared
    mount = client.get("/v1/items", params={"name": "Motor Mount Assembly, IEC 112"}).json()["results"][0]
    parents = {p["item"]["number"] for p in client.get(f"/v1/items/{mount['guid']}/whereused").json()["results"]}
    assert "ASM-10002" in parents and len(parents) == 2


def test_unknown_path_is_arena_404(plm_shared):
    _, client = plm_shared
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == 404


def test_restart_on_same_file_keeps_data_and_applied_changes(tmp_path):
    db = str(tmp_path / "plm.sqlite")
    with running_plm(db_path=db) as (_, client):
        top = client.item("ASM-10002")
        line = client.get(f"/v1/items/{top['guid']}/bom", params={"revisionStatus": "WORKING"}).json()["results"][0]
        client.put(f"/v1/items/{top['guid']}/bom/{line['guid']}", json={"quantity": 7}).raise_for_status()
        change = client.post(
            "/v1/changes", json={"title": "Restart check", "items": [{"affectedItemRevision": {"guid": top["guid"]}}]}
        ).json()
        client.post("/v1/changes/statuschanges", json={"change": {"guid": change["guid"]}, "status": "EFFECTIVE"})
    with running_plm(db_path=db) as (_, client):
        again = client.item("ASM-10002")
        assert again["revisionNumber"] == chr(ord(top["revisionNumber"]) + 1)
        lines = client.get(f"/v1/items/{again['guid']}/bom").json()["results"]
        assert [ln["quantity"] for ln in lines if ln["lineNumber"] == line["lineNumber"]] == [7]
        assert client.get(f"/v1/changes/{change['guid']}").json()["lifecycleStatus"]["type"] == "EFFECTIVE"
