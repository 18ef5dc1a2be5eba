"""Writing to the Maximo-shaped EAM: create, PATCH vs MERGE, BULK, transactionid, status rules, materials."""

from __future__ import annotations

try:
    from tests.sandbox_eam.eam_fixtures import WO, WO_SELECT, balance, eam, first_wo, wo_path  # noqa: F401
except ImportError:  # tests/sandbox_eam is not a package: pytest put its folder on sys.path
    from eam_fixtures import WO, WO_SELECT, balance, eam, first_wo, wo_path  # noqa: F401

PATCH = {"x-method-override": "PATCH"}
MERGE = {"x-method-override": "PATCH", "patchtype": "MERGE"}


def change_status(client, href: str, status: str):
    return client.post(f"{href}?action=wsmethod:changeStatus", json={"status": status}, headers=PATCH)


def test_create_answers_201_with_location_and_a_duplicate_key_is_bmxaa4129e(eam):
    _, client = eam
    created = client.post(WO, json={"wonum": "T-1", "description": "Seal leak", "assetnum": "P-101"})
    assert created.status_code == 201 and created.headers["location"].endswith(wo_path("T-1"))
    again = client.post(WO, json={"wonum": "T-1", "description": "Seal leak"})
    assert again.status_code == 400 and again.json()["Error"]["reasonCode"] == "BMXAA4129E"
    assert client.get(created.headers["location"]).json()["status"] == "WAPPR"


def test_plain_patch_replaces_child_rows_and_merge_adds_to_them(eam):
    _, client = eam
    wo = first_wo(client, "WAPPR")
    keep = wo["wpmaterial"][0]
    client.post(wo["href"], json={"wpmaterial": [{"itemnum": "MRO-0001", "itemqty": 3}]}, headers=MERGE)
    merged = client.get(wo["href"], params={"oslc.select": "wpmaterial{*}"}).json()["wpmaterial"]
    assert len(merged) == len(wo["wpmaterial"]) + 1
    client.post(wo["href"], json={"wpmaterial": [{"wpitemid": keep["wpitemid"]}]}, headers=PATCH)
    replaced = client.get(wo["href"], params={"oslc.select": "wpmaterial{*}"}).json()["wpmaterial"]
    assert [line["wpitemid"] for line in replaced] == [keep["wpitemid"]]


def test_bulk_answers_200_with_a_status_per_item_and_commits_each_item_alone(eam):
    app, client = eam
    client.post("/_sandbox/stats/reset")
    wo = first_wo(client, "WAPPR")
    response = client.post(
        WO,
        headers={"x-method-override": "BULK"},
        json=[
            {"wonum": "B-1", "description": "new", "_action": "Add"},
            {
                "wonum": "B-2",
                "description": "bad item",
                "wpmaterial": [{"itemnum": "NO-SUCH", "itemqty": 1}],
                "_action": "Add",
            },
            {"href": wo["href"], "description": "Updated in bulk", "_action": "Update"},
        ],
    )
    assert response.status_code == 200
    statuses = [item["_responsemeta"]["status"] for item in response.json()]
    assert statuses == ["201", "400", "204"]
    assert "NO-SUCH" in response.json()[1]["_responsedata"]["Error"]["message"]
    assert client.get(wo_path("B-2")).status_code == 404  # the failed item left nothing behind
    assert client.get(wo["href"]).json()["description"] == "Updated in bulk"
    assert client.get("/_sandbox/stats").json()["writes"] == 2


def test_a_repeated_transactionid_is_refused_with_409_and_writes_nothing(eam):
    _, client = eam
    headers = {"transactionid": "txn-0001"}
    assert client.post(WO, json={"wonum": "X-1", "description": "once"}, headers=headers).status_code == 201
    again = client.post(WO, json={"wonum": "X-2", "description": "twice"}, headers=headers)
    assert again.status_code == 409
    assert client.get(wo_path("X-2")).status_code == 404


def test_a_transactionid_of_a_failed_write_can_be_used_again(eam):
    _, client = eam
    headers = {"transactionid": "txn-0002"}
    assert client.post(WO, json={"wonum": "Y-1", "assetnum": "NOPE"}, headers=headers).status_code == 400
    assert client.post(WO, json={"wonum": "Y-1"}, headers=headers).status_code == 201


def test_status_transitions_maximo_refuses_are_refused(eam):
    _, client = eam
    closed, started = first_wo(client, "CLOSE"), first_wo(client, "INPRG")
    for href, status in ((closed["href"], "INPRG"), (started["href"], "WAPPR"), (started["href"], "CAN")):
        response = change_status(client, href, status)
        assert response.status_code == 400, (href, status)
        assert response.json()["Error"]["reasonCode"] == "BMXAA4590E"
    assert change_status(client, started["href"], "COMP").status_code == 204
    assert change_status(client, started["href"], "CLOSE").status_code == 204


def test_approval_creates_one_reservation_per_planned_item(eam):
    _, client = eam
    wo = first_wo(client, "WAPPR")
    assert wo["invreserve"] == []
    assert change_status(client, wo["href"], "APPR").status_code == 204
    after = client.get(wo["href"], params={"oslc.select": WO_SELECT}).json()
    assert after["status"] == "APPR"
    assert sorted((r["itemnum"], r["reservedqty"], r["actualqty"]) for r in after["invreserve"]) == sorted(
        (line["itemnum"], line["itemqty"], 0.0) for line in wo["wpmaterial"]
    )


def test_an_issue_lowers_the_balance_and_raises_the_reservations_actual_quantity(eam):
    _, client = eam
    wo = first_wo(client, "APPR")
    res = wo["invreserve"][0]
    before = balance(client, res["itemnum"], res["location"])
    issue = {
        "matusetrans": [{"itemnum": res["itemnum"], "storeloc": res["location"], "quantity": -1, "issuetype": "ISSUE"}]
    }
    assert client.post(wo["href"], json=issue, headers=MERGE).status_code == 204
    assert balance(client, res["itemnum"], res["location"]) == before - 1
    after = client.get(wo["href"], params={"oslc.select": WO_SELECT}).json()
    reservation = next(r for r in after["invreserve"] if r["invreserveid"] == res["invreserveid"])
    assert reservation["actualqty"] == res["actualqty"] + 1
    assert [(t["quantity"], t["positivequantity"]) for t in after["matusetrans"]] == [(-1.0, 1.0)]


def test_a_return_raises_the_balance_and_lowers_the_actual_quantity(eam):
    _, client = eam
    wo = first_wo(client, "INPRG")
    res = next(r for r in wo["invreserve"] if r["actualqty"] >= 1)
    before = balance(client, res["itemnum"], res["location"])
    ret = {
        "matusetrans": [{"itemnum": res["itemnum"], "storeloc": res["location"], "quantity": 1, "issuetype": "RETURN"}]
    }
    assert client.post(wo["href"], json=ret, headers=MERGE).status_code == 204
    assert balance(client, res["itemnum"], res["location"]) == before + 1
    after = client.get(wo["href"], params={"oslc.select": "invreserve{*}"}).json()
    assert (
        next(r for r in after["invreserve"] if r["invreserveid"] == res["invreserveid"])["actualqty"]
        == res["actualqty"] - 1
    )


def test_an_issue_beyond_the_balance_or_to_an_unapproved_work_order_is_refused(eam):
    _, client = eam
    wo = first_wo(client, "APPR")
    res = wo["invreserve"][0]
    too_much = {"matusetrans": [{"itemnum": res["itemnum"], "storeloc": res["location"], "quantity": 100000}]}
    assert client.post(wo["href"], json=too_much, headers=MERGE).json()["Error"]["reasonCode"] == "BMXAA1861E"
    waiting = first_wo(client, "WAPPR")
    line = waiting["wpmaterial"][0]
    early = {"matusetrans": [{"itemnum": line["itemnum"], "storeloc": line["location"], "quantity": 1}]}
    assert client.post(waiting["href"], json=early, headers=MERGE).json()["Error"]["reasonCode"] == "BMXAA4106E"


def test_adjust_current_balance_sets_the_counted_quantity(eam):
    _, client = eam
    bal = client.get(
        "/maximo/api/os/mxapiinvbal", params={"oslc.select": "itemnum,location,curbal", "oslc.pageSize": 1}
    ).json()["member"][0]
    response = client.post(f"{bal['href']}?action=wsmethod:adjustCurrentBalance", json={"newcurbal": 7}, headers=PATCH)
    assert response.status_code == 204
    assert client.get(bal["href"]).json()["curbal"] == 7.0
    direct = client.post(bal["href"], json={"curbal": 9}, headers=PATCH)
    assert direct.status_code == 400 and "adjustCurrentBalance" in direct.json()["Error"]["message"]
