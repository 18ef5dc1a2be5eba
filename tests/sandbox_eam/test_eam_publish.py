"""The publish channel: signed JSON on work-order status changes and material transactions, retried."""

from __future__ import annotations

import hashlib
import hmac
import json

try:
    from tests.sandbox_eam.eam_fixtures import eam, event_receiver, first_wo, wait_for  # noqa: F401
except ImportError:  # tests/sandbox_eam is not a package: pytest put its folder on sys.path
    from eam_fixtures import eam, event_receiver, first_wo, wait_for  # noqa: F401

from sandbox.eam.publish import DEFAULT_PUBLISH_SECRET, verify

SUBSCRIPTIONS = "/_sandbox/publish/subscriptions"


def approve(client, wo: dict) -> None:
    response = client.post(
        f"{wo['href']}?action=wsmethod:changeStatus", json={"status": "APPR"}, headers={"x-method-override": "PATCH"}
    )
    assert response.status_code == 204


def test_a_status_change_is_delivered_signed_with_hmac_sha256_of_timestamp_and_body(eam):
    _, client = eam
    with event_receiver() as receiver:
        assert client.post(SUBSCRIPTIONS, json={"url": receiver.url}).status_code == 201
        wo = first_wo(client, "WAPPR")
        approve(client, wo)
        wait_for(lambda: len(receiver.received) == 1)
    body, headers = receiver.received[0]
    expected = hmac.new(
        DEFAULT_PUBLISH_SECRET.encode(), f"{headers['x-maximo-timestamp']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers["x-maximo-signature"] == f"sha256={expected}"
    assert verify(DEFAULT_PUBLISH_SECRET, headers, body)
    event = json.loads(body)
    assert (event["eventtype"], event["channel"]) == ("workorder.status", "MXWOSTATUS")
    assert (event["data"]["wonum"], event["data"]["status"], event["data"]["previousstatus"]) == (
        wo["wonum"],
        "APPR",
        "WAPPR",
    )


def test_a_material_issue_is_published_with_the_subscriptions_own_secret(eam):
    _, client = eam
    with event_receiver() as receiver:
        client.post(SUBSCRIPTIONS, json={"url": receiver.url, "events": ["matusetrans"], "secret": "own-secret"})
        wo = first_wo(client, "APPR")
        res = wo["invreserve"][0]
        client.post(
            wo["href"],
            json={"matusetrans": [{"itemnum": res["itemnum"], "storeloc": res["location"], "quantity": 1}]},
            headers={"x-method-override": "PATCH", "patchtype": "MERGE"},
        )
        wait_for(lambda: len(receiver.received) == 1)
    body, headers = receiver.received[0]
    assert verify("own-secret", headers, body) and not verify(DEFAULT_PUBLISH_SECRET, headers, body)
    data = json.loads(body)["data"]
    assert (data["refwo"], data["itemnum"], data["quantity"], data["issuetype"]) == (
        wo["wonum"],
        res["itemnum"],
        -1.0,
        "ISSUE",
    )


def test_a_failed_delivery_is_retried_in_the_background_under_the_same_event_id(eam):
    _, client = eam
    with event_receiver(fail_first=1) as receiver:
        client.post(SUBSCRIPTIONS, json={"url": receiver.url, "events": ["workorder.status"]})
        approve(client, first_wo(client, "WAPPR"))
        wait_for(lambda: len(receiver.received) == 2)
        deliveries = client.get("/_sandbox/publish/deliveries").json()["member"]
    assert [(d["attempt"], d["succeeded"]) for d in deliveries] == [(1, False), (2, True)]
    assert len({h["x-maximo-event-id"] for _, h in receiver.received}) == 1


def test_an_unsubscribed_endpoint_gets_nothing_while_a_subscribed_one_does(eam):
    _, client = eam
    with event_receiver() as dropped, event_receiver() as kept:
        sub = client.post(SUBSCRIPTIONS, json={"url": dropped.url}).json()
        client.post(SUBSCRIPTIONS, json={"url": kept.url})
        assert client.delete(f"{SUBSCRIPTIONS}/{sub['id']}").status_code == 204
        approve(client, first_wo(client, "WAPPR"))
        wait_for(lambda: len(kept.received) == 1)
    assert dropped.received == []
