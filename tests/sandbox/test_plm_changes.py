"""Working-revision BOM edits, changes going EFFECTIVE, and the signed change.effective webhook."""

from __future__ import annotations

import json
import time

from standardwebhooks.webhooks import Webhook

try:
    from tests.sandbox.plm_fixtures import plm, webhook_receiver  # noqa: F401
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from plm_fixtures import plm, webhook_receiver  # noqa: F401

from sandbox.plm.webhooks import DEFAULT_WEBHOOK_SECRET


def wait_for(predicate, timeout: float = 10.0) -> None:
    """Poll until predicate() holds (deliveries run in the background); fail with a clear message."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def release(client, item_guid: str, title: str = "Test change") -> dict:
    change = client.post("/v1/changes", json={"title": title}).json()
    client.post(f"/v1/changes/{change['guid']}/items", json={"affectedItemRevision": {"guid": item_guid}})
    response = client.post(
        "/v1/changes/statuschanges",
        json={"change": {"guid": change["guid"]}, "status": "EFFECTIVE", "comment": "release"},
    )
    assert response.status_code == 201 and response.json()["status"] == "EFFECTIVE"
    return change


def test_working_bom_edit_is_invisible_until_change_is_effective(plm):
    _, client = plm
    top = client.item("ASM-10004")
    bolt = client.get("/v1/items", params={"category.name": "Fastener", "limit": 1}).json()["results"][0]
    added = client.post(
        f"/v1/items/{top['guid']}/bom",
        json={"item": {"guid": bolt["guid"]}, "quantity": 12, "refDes": "", "notes": "added in test"},
    )
    assert added.status_code == 201
    effective_lines = client.get(f"/v1/items/{top['guid']}/bom").json()["results"]
    assert bolt["number"] not in [ln["item"]["number"] for ln in effective_lines]
    working = client.get(f"/v1/items/{top['guid']}/bom", params={"revisionStatus": "WORKING"}).json()["results"]
    assert bolt["number"] in [ln["item"]["number"] for ln in working]

    release(client, top["guid"])

    released = client.item("ASM-10004")
    assert released["revisionNumber"] == chr(ord(top["revisionNumber"]) + 1)
    assert released["guid"] != top["guid"]
    lines = client.get(f"/v1/items/{released['guid']}/bom").json()["results"]
    assert [ln["quantity"] for ln in lines if ln["item"]["number"] == bolt["number"]] == [12]
    revisions = client.get(f"/v1/items/{released['guid']}/revisions").json()["results"]
    by_guid = {r["guid"]: r["status"] for r in revisions}
    assert by_guid[top["guid"]] == 2 and by_guid[released["guid"]] == 1
    assert [r["status"] for r in revisions].count(0) == 1


def test_effective_bom_lines_cannot_be_edited(plm):
    _, client = plm
    top = client.item("ASM-10002")
    line = client.get(f"/v1/items/{top['guid']}/bom").json()["results"][0]
    response = client.put(f"/v1/items/{top['guid']}/bom/{line['guid']}", json={"quantity": 3})
    assert response.status_code == 400 and "working revision" in response.json()["errors"][0]["message"]


def test_delete_and_update_working_lines(plm):
    _, client = plm
    top = client.item("ASM-10002")
    working = client.get(f"/v1/items/{top['guid']}/bom", params={"revisionStatus": "WORKING"}).json()["results"]
    assert (
        client.put(
            f"/v1/items/{top['guid']}/bom/{working[0]['guid']}", json={"quantity": "2.5", "notes": "changed"}
        ).json()["quantity"]
        == 2.5
    )
    assert client.delete(f"/v1/items/{top['guid']}/bom/{working[1]['guid']}").status_code == 204
    after = client.get(f"/v1/items/{top['guid']}/bom", params={"revisionStatus": "WORKING"}).json()["results"]
    assert len(after) == len(working) - 1


def test_bom_line_with_zero_quantity_is_rejected(plm):
    _, client = plm
    top = client.item("ASM-10002")
    part = client.get("/v1/items", params={"category.name": "Fastener", "limit": 1}).json()["results"][0]
    response = client.post(f"/v1/items/{top['guid']}/bom", json={"item": {"guid": part["guid"]}, "quantity": 0})
    assert response.status_code == 400 and "quantity" in response.json()["errors"][0]["message"]


def test_adding_a_parent_into_its_own_bom_is_rejected(plm):
    _, client = plm
    top = client.item("ASM-10001")
    child = client.get(f"/v1/items/{top['guid']}/bom").json()["results"][0]["item"]
    response = client.post(f"/v1/items/{child['guid']}/bom", json={"item": {"guid": top["guid"]}, "quantity": 1})
    assert response.status_code == 400 and "recursive" in response.json()["errors"][0]["message"]


def test_open_change_lists_affected_items_and_filters(plm):
    _, client = plm
    open_changes = client.get("/v1/changes", params={"lifecycleStatus": "OPEN_AND_UNLOCKED"}).json()["results"]
    assert open_changes and all(c["lifecycleStatus"]["type"] == "OPEN_AND_UNLOCKED" for c in open_changes)
    items = client.get(f"/v1/changes/{open_changes[0]['guid']}/items").json()["results"]
    assert items and all(i["newRevisionNumber"] for i in items)


def test_effective_since_filter_returns_only_later_changes(plm):
    _, client = plm
    all_effective = client.get("/v1/changes", params={"lifecycleStatus": "EFFECTIVE"}).json()["results"]
    since = sorted(c["effectiveDateTime"] for c in all_effective)[-1]
    later = client.get("/v1/changes", params={"effectiveSince": since}).json()["results"]
    assert [c["effectiveDateTime"] for c in later] == [since]


def test_item_in_an_open_change_cannot_join_another(plm):
    _, client = plm
    open_change = client.get("/v1/changes", params={"number": "ECO-*", "lifecycleStatus": "OPEN_AND_UNLOCKED"}).json()[
        "results"
    ][0]
    item = client.get(f"/v1/changes/{open_change['guid']}/items").json()["results"][0]
    other = client.post("/v1/changes", json={"title": "second"}).json()
    guid = item["affectedItemRevision"]["guid"]
    response = client.post(f"/v1/changes/{other['guid']}/items", json={"affectedItemRevision": {"guid": guid}})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == 4007


def test_change_effective_webhook_is_signed_per_standard_webhooks(plm):
    _, client = plm
    with webhook_receiver() as receiver:
        sub = client.post("/v1/webhooks/subscriptions", json={"url": receiver.url, "events": ["change.effective"]})
        assert sub.status_code == 201
        top = client.item("ASM-10002")
        change = release(client, top["guid"], "Webhook check")
        wait_for(lambda: receiver.received)
    body, headers = receiver.received[0]
    payload = Webhook(DEFAULT_WEBHOOK_SECRET).verify(body, headers)
    assert payload["type"] == "change.effective"
    assert payload["data"]["guid"] == change["guid"] and payload["data"]["number"] == change["number"]
    assert payload["data"]["affectedItems"][0]["number"] == "ASM-10002"
    assert payload["data"]["affectedItems"][0]["revisionNumber"] == chr(ord(top["revisionNumber"]) + 1)
    assert json.loads(body)["data"]["effectiveDateTime"]


def test_failing_receiver_gets_retries_until_it_answers(plm):
    _, client = plm
    with webhook_receiver(fail_first=2) as receiver:
        sub = client.post("/v1/webhooks/subscriptions", json={"url": receiver.url}).json()
        release(client, client.item("ASM-10004")["guid"])
        wait_for(lambda: len(receiver.received) == 3)
        wait_for(lambda: len(client.get(f"/v1/webhooks/subscriptions/{sub['guid']}/deliveries").json()["results"]) == 3)
        deliveries = client.get(f"/v1/webhooks/subscriptions/{sub['guid']}/deliveries").json()["results"]
    assert receiver.answered == [500, 500, 204]
    assert [d["succeeded"] for d in deliveries] == [False, False, True]
    assert len({d["eventId"] for d in deliveries}) == 1  # one event, retried under the same webhook-id
    assert len({h["webhook-id"] for _, h in receiver.received}) == 1


def test_unreachable_receiver_is_recorded_and_given_up(plm):
    _, client = plm
    with webhook_receiver() as receiver:
        dead_url = receiver.url
    sub = client.post("/v1/webhooks/subscriptions", json={"url": dead_url}).json()
    release(client, client.item("ASM-10004")["guid"])
    url = f"/v1/webhooks/subscriptions/{sub['guid']}/deliveries"
    wait_for(lambda: len(client.get(url).json()["results"]) == 3)
    deliveries = client.get(url).json()["results"]
    assert not any(d["succeeded"] for d in deliveries) and all(d["error"] for d in deliveries)


def test_subscription_with_bad_secret_is_rejected(plm):
    _, client = plm
    response = client.post("/v1/webhooks/subscriptions", json={"url": "http://127.0.0.1:1/x", "secret": "plain"})
    assert response.status_code == 400 and "whsec_" in response.json()["errors"][0]["message"]


def test_subscription_crud(plm):
    _, client = plm
    sub = client.post("/v1/webhooks/subscriptions", json={"url": "http://127.0.0.1:1/a"}).json()
    assert "secret" not in sub
    updated = client.put(f"/v1/webhooks/subscriptions/{sub['guid']}", json={"url": "http://127.0.0.1:1/b"}).json()
    assert updated["url"].endswith("/b")
    assert client.delete(f"/v1/webhooks/subscriptions/{sub['guid']}").status_code == 204
    assert client.get(f"/v1/webhooks/subscriptions/{sub['guid']}").status_code == 404
