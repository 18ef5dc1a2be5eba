"""EAM publish-channel events over real HTTP: `POST /webhooks/eam` verifies the signature and drops each
event once; `eam_change_sensor` turns drops into one `maintenance_sync` run per site, once."""

from __future__ import annotations

import json
import secrets
import time

import dagster as dg
import pytest

from orchestration.triggers_config import WebhookSettings
from orchestration.webhooks import receiving
from resources.alerts import AlertResource
from resources.eam.client import WORK_ORDER
from resources.state import SyncStateResource
from resources.state.breaker import breaker_state
from sandbox.eam.publish import DEFAULT_PUBLISH_SECRET, sign
from sensors.eam_changes import eam_change_sensor
from sync.flows import MAINTENANCE_FLOW
from tests.triggers.support import AlertInbox, post, wait_for_drops


def status_event(wonum: str = "T-001", site: str = "P1000", event_id: str | None = None) -> dict:
    return {
        "eventid": event_id or "evt_" + secrets.token_hex(12),
        "eventtype": "workorder.status",
        "channel": "MXWOSTATUS",
        "timestamp": "2026-12-01T10:00:00+00:00",
        "data": {"wonum": wonum, "siteid": site, "status": "APPR", "previousstatus": "WAPPR"},
    }


def maximo_delivery(event: dict, secret: str = DEFAULT_PUBLISH_SECRET, timestamp: int | None = None, body=None):
    """(body, headers) as the Maximo publish channel sends one event."""
    raw = body if body is not None else json.dumps(event, separators=(",", ":")).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return raw, {
        "content-type": "application/json",
        "x-maximo-event-id": event["eventid"],
        "x-maximo-timestamp": str(stamp),
        "x-maximo-signature": sign(secret, stamp, raw),
    }


def tick(instance, store_resource, cursor=None, alerts=None):
    with dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"sync_state": store_resource, "alerts": alerts or AlertResource()},
    ) as context:
        return eam_change_sensor(context)


def test_a_signed_eam_event_is_dropped_once_and_a_redelivery_gets_200(receiver, store):
    event = status_event()
    assert post(receiver.eam_url, *maximo_delivery(event)).status_code == 202
    assert post(receiver.eam_url, *maximo_delivery(event)).status_code == 200
    [drop] = store.webhook_drops_after(0)
    assert (drop.source, drop.event_id, drop.event_type) == ("eam", event["eventid"], "workorder.status")


@pytest.mark.parametrize(
    "case, status",
    [
        ("bad signature", 401),
        ("missing signature", 401),
        ("stale timestamp", 400),
        ("unknown event type", 400),
        ("wildcard work order", 400),
        ("non-JSON body", 400),
        ("wrong content type", 415),
        ("body over the limit", 413),
    ],
)
def test_a_bad_eam_delivery_gets_its_status_and_stores_nothing(receiver, store, case, status):
    event = status_event()
    if case == "bad signature":
        body, headers = maximo_delivery(event, secret="not-the-eam-secret")
    elif case == "missing signature":
        body, headers = maximo_delivery(event)
        del headers["x-maximo-signature"]
    elif case == "stale timestamp":
        body, headers = maximo_delivery(event, timestamp=int(time.time()) - 301)
    elif case == "unknown event type":
        body, headers = maximo_delivery({**event, "eventtype": "asset.deleted"})
    elif case == "wildcard work order":
        body, headers = maximo_delivery(status_event(wonum="T-%"))
    elif case == "non-JSON body":
        body, headers = maximo_delivery(event, body=b"<wo>T-001</wo>")
    elif case == "wrong content type":
        body, headers = maximo_delivery(event)
        headers["content-type"] = "text/plain"
    else:
        body, headers = maximo_delivery(event, body=b'{"pad": "' + b"x" * (1024 * 1024) + b'"}')
    assert post(receiver.eam_url, body, headers).status_code == status
    assert store.webhook_drops_after(0) == []


def test_without_an_eam_secret_the_receiver_serves_no_eam_route(store):
    with receiving(store, WebhookSettings(plm_secrets=[b"the PLM's key"])) as running:
        assert post(running.eam_url, *maximo_delivery(status_event())).status_code == 404
    assert store.webhook_drops_after(0) == []


def test_eam_events_from_the_sandbox_become_one_run_per_site_and_a_replayed_tick_no_second(harness, store, instance):
    with receiving(store, WebhookSettings.from_env({"MFG_SYNC_PROFILE": "sandbox"})) as receiver:
        with harness.resources()["eam"].client() as eam:
            eam.subscribe(receiver.eam_url, events=["workorder.status"])
            for number in ("WH-1", "WH-2"):
                eam.create(
                    WORK_ORDER, {"wonum": number, "siteid": "P1000", "description": "Webhook", "assetnum": "P-101"}
                )
                eam.change_status(eam.href(WORK_ORDER, "P1000", number), "APPR")
        drops = wait_for_drops(store, 2)
    assert sorted(d.payload["data"]["wonum"] for d in drops) == ["WH-1", "WH-2"]

    first = tick(instance, harness.state())
    [request] = first.run_requests
    assert request.partition_key == "P1000" and request.job_name in (None, MAINTENANCE_FLOW)
    assert first.dynamic_partitions_requests[0].partition_keys == ["P1000"]
    replayed = tick(instance, harness.state())  # a crash before the cursor moved: the same drops again
    assert [r.run_key for r in replayed.run_requests] == [request.run_key]  # Dagster runs one key once
    assert isinstance(tick(instance, harness.state(), cursor=first.cursor), dg.SkipReason)


def test_a_drop_naming_no_work_order_is_quarantined_once_and_the_others_still_run(store, tmp_path, instance):
    state = SyncStateResource(url=f"sqlite:///{tmp_path / 'state.db'}")  # the `store` fixture's database
    store.add_webhook_drop("eam", "evt_poison", "workorder.status", {"eventtype": "workorder.status", "data": {}})
    store.add_webhook_drop("eam", "evt_ok", "workorder.status", status_event(site="P2000"))
    inbox = AlertInbox()
    with inbox.serving() as url:
        alerts = AlertResource(webhook_url=url)
        result = tick(instance, state, alerts=alerts)
        tick(instance, state, alerts=alerts)
    assert [r.partition_key for r in result.run_requests] == ["P2000"]
    [rejected] = store.rejected_drops("eam")
    assert rejected.event_id == "evt_poison" and "data.siteid" in rejected.reason
    assert len(inbox.messages) == 1 and "quarantined" in inbox.messages[0]["text"]


def test_an_open_maintenance_breaker_skips_the_tick_and_keeps_the_drops(store, tmp_path, instance):
    store.add_webhook_drop("eam", "evt_1", "workorder.status", status_event())
    for n in range(3):
        run = store.start_run(MAINTENANCE_FLOW, "P1000", f"failed-{n}")
        store.finish_run(run, "failed", {})
    assert breaker_state(store, MAINTENANCE_FLOW, 3).is_open

    result = tick(instance, SyncStateResource(url=f"sqlite:///{tmp_path / 'state.db'}"))

    assert isinstance(result, dg.SkipReason) and "breaker" in result.skip_message.lower()
    assert len(store.webhook_drops_after(0, unprocessed_only=True)) == 1
