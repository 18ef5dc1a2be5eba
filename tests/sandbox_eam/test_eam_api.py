"""Reading the Maximo-shaped EAM: auth, oslc query options, paging and delta fetches by rowstamp."""

from __future__ import annotations

import base64

import httpx

try:
    from tests.sandbox_eam.eam_fixtures import WO, eam, first_wo, running_eam, wo_path  # noqa: F401
except ImportError:  # tests/sandbox_eam is not a package: pytest put its folder on sys.path
    from eam_fixtures import WO, eam, first_wo, running_eam, wo_path  # noqa: F401


def test_api_route_without_apikey_is_401_in_maximo_error_shape(eam):
    _, client = eam
    response = httpx.get(f"{client.base_url}{WO}")
    assert response.status_code == 401
    error = response.json()["Error"]
    assert error["reasonCode"] == "BMXAA0021E" and error["statusCode"] == "401"


def test_api_route_with_wrong_apikey_is_401(eam):
    _, client = eam
    assert client.get(WO, headers={"apikey": "wrong"}).status_code == 401


def test_oslc_route_needs_a_maxauth_login_and_then_accepts_its_session_cookie(eam):
    _, client = eam
    oslc = httpx.Client(base_url=str(client.base_url), timeout=10)
    assert oslc.get("/maximo/oslc/os/mxapiasset").status_code == 401
    bad = oslc.post("/maximo/oslc/login", headers={"maxauth": base64.b64encode(b"mxintadm:nope").decode()})
    assert bad.status_code == 401
    login = oslc.post("/maximo/oslc/login", headers={"maxauth": base64.b64encode(b"mxintadm:sandbox").decode()})
    assert login.status_code == 200 and "JSESSIONID" in oslc.cookies
    assets = oslc.get("/maximo/oslc/os/mxapiasset", params={"lean": 1, "oslc.select": "assetnum"}).json()["member"]
    assert {"P-101", "CV-201", "CC-301"} <= {a["assetnum"] for a in assets}
    oslc.post("/maximo/oslc/logout")
    assert oslc.get("/maximo/oslc/os/mxapiasset").status_code == 401


def test_where_with_in_like_and_numbers_select_with_nested_children_and_order(eam):
    _, client = eam
    body = client.get(
        WO,
        params={
            "lean": 1,
            "oslc.select": "wonum,status,wopriority,wpmaterial{itemnum,itemqty}",
            "oslc.where": 'status in ["APPR","INPRG"] and wopriority>=2 and description="%P-1%"',
            "oslc.orderBy": "-wopriority,+wonum",
        },
    ).json()
    members = body["member"]
    assert members and all(m["status"] in ("APPR", "INPRG") and m["wopriority"] >= 2 for m in members)
    assert [m["wopriority"] for m in members] == sorted((m["wopriority"] for m in members), reverse=True)
    assert set(members[0]) == {"href", "_rowstamp", "wonum", "status", "wopriority", "wpmaterial"}
    assert set(members[0]["wpmaterial"][0]) == {"href", "_rowstamp", "itemnum", "itemqty"}


def test_where_compares_iso_dates_as_instants(eam):
    _, client = eam
    where = 'reportdate>="2026-06-01T00:00:00+00:00" and reportdate<"2026-07-01T00:00:00Z"'
    members = client.get(WO, params={"oslc.select": "reportdate", "oslc.where": where}).json()["member"]
    assert members and all(m["reportdate"].startswith("2026-06") for m in members)


def test_bad_where_is_400_naming_the_problem(eam):
    _, client = eam
    response = client.get(WO, params={"oslc.where": 'status="APPR" or status="WAPPR"'})
    assert response.status_code == 400 and "and" in response.json()["Error"]["message"]


def test_collection_without_select_lists_hrefs_only_as_maximo_does(eam):
    _, client = eam
    member = client.get(WO, params={"oslc.pageSize": 1}).json()["member"][0]
    assert list(member) == ["href"]
    assert client.get(member["href"]).json()["wonum"]


def test_paging_follows_next_page_and_counts_the_collection(eam):
    _, client = eam
    page = client.get(WO, params={"oslc.select": "wonum", "oslc.pageSize": 25, "collectioncount": 1}).json()
    assert page["responseInfo"]["totalCount"] == 60
    seen = [m["wonum"] for m in page["member"]]
    pages = 1
    while "nextPage" in page["responseInfo"]:
        page = client.get(page["responseInfo"]["nextPage"]["href"]).json()
        seen += [m["wonum"] for m in page["member"]]
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 60


def test_delta_fetch_returns_records_changed_after_a_rowstamp_with_maxrowstamp(eam):
    _, client = eam
    first = client.get(WO, params={"oslc.select": "wonum", "fetchmodedelta": 1, "lastfetchts": 0})
    cursor = int(first.headers["maxrowstamp"])
    assert len(first.json()["member"]) == 60
    wo = first_wo(client, "WAPPR")
    client.post(wo["href"], json={"description": "Changed"}, headers={"x-method-override": "PATCH"})
    second = client.get(WO, params={"oslc.select": "wonum", "fetchmodedelta": 1, "lastfetchts": cursor})
    assert [m["wonum"] for m in second.json()["member"]] == [wo["wonum"]]
    assert int(second.headers["maxrowstamp"]) > cursor


def test_a_new_material_transaction_does_not_bump_its_work_orders_rowstamp(eam):
    _, client = eam
    cursor = int(
        client.get(WO, params={"oslc.select": "wonum", "fetchmodedelta": 1, "lastfetchts": 0}).headers["maxrowstamp"]
    )
    wo = first_wo(client, "INPRG")
    line = wo["wpmaterial"][0]
    issue = {
        "matusetrans": [{"itemnum": line["itemnum"], "storeloc": line["location"], "quantity": 1, "issuetype": "ISSUE"}]
    }
    assert (
        client.post(wo["href"], json=issue, headers={"x-method-override": "PATCH", "patchtype": "MERGE"}).status_code
        == 204
    )
    wo_delta = client.get(WO, params={"oslc.select": "wonum", "fetchmodedelta": 1, "lastfetchts": cursor})
    assert wo_delta.json()["member"] == []  # Maximo's limitation: the parent's rowstamp stays
    trans = client.get(
        "/maximo/api/os/mxapimatusetrans",
        params={"oslc.select": "refwo,quantity,issuetype", "fetchmodedelta": 1, "lastfetchts": cursor},
    ).json()["member"]
    assert [(t["refwo"], t["quantity"], t["issuetype"]) for t in trans] == [(wo["wonum"], -1.0, "ISSUE")]
    reread = client.get(wo["href"], params={"oslc.select": "matusetrans{*}"}).json()
    assert max(int(t["_rowstamp"]) for t in reread["matusetrans"]) > cursor  # the child's own rowstamp shows it


def test_unknown_record_is_404_and_unknown_structure_is_404(eam):
    _, client = eam
    assert client.get(wo_path("999999")).json()["Error"]["statusCode"] == "404"
    assert client.get("/maximo/api/os/mxapinothing").status_code == 404


def test_seed_holds_storerooms_items_assets_and_sixty_work_orders_in_every_status():
    with running_eam() as (_, client):
        summary = client.get("/_sandbox/summary").json()
    assert summary["workorders"] == 60
    assert set(summary["workorders_by_status"]) == {"WAPPR", "APPR", "WMATL", "INPRG", "COMP", "CLOSE", "CAN"}
    assert summary["storerooms"] == ["CENTRAL", "MAINT", "LINE1"]
    assert summary["material_transactions"] > 0 and summary["reservations"] > 0 and summary["assets"] == 6


def test_oslc_route_answers_the_namespaced_form_unless_lean(eam):
    _, client = eam
    auth = {"maxauth": base64.b64encode(b"mxintadm:sandbox").decode()}
    body = client.get("/maximo/oslc/os/mxapiasset", params={"oslc.select": "assetnum"}, headers=auth).json()
    assert "rdfs:member" in body and "spi:assetnum" in body["rdfs:member"][0]
    lean = client.get("/maximo/oslc/os/mxapiasset", params={"oslc.select": "assetnum", "lean": 1}, headers=auth)
    assert "assetnum" in lean.json()["member"][0]
