"""`POST /webhooks/condition` over real HTTP: a signed event is dropped once under its own id (the same key
as over MQTT), an invalid signed one is kept rejected with its reason, a bad signature stores nothing."""

import base64

import httpx
import pytest

from orchestration.condition_ingest import store_message
from orchestration.triggers_config import WebhookSettings
from orchestration.webhooks import receiving
from resources.state import StateStore
from sandbox import condition as publisher
from tests.triggers.support import signed_delivery

SECRET = "whsec_" + base64.b64encode(b"condition-test-key-0123456789abcdef").decode()


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    store = StateStore(f"sqlite:///{tmp_path_factory.mktemp('webhook') / 'state.db'}")
    store.upgrade()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MFG_SYNC_CONDITION_WEBHOOK_SECRET", SECRET)
        with receiving(store, WebhookSettings(plm_secrets=[b"x"])) as running:
            yield store, f"{running.url}/webhooks/condition"


def test_a_signed_event_is_dropped_once_under_its_event_id(receiver):
    store, url = receiver
    [event] = publisher.events("P-101", 11.2, 1)
    answers = [httpx.post(url, content=b, headers=h).status_code for b, h in [signed_delivery(event, SECRET)] * 2]
    assert answers == [202, 200]
    store_message(store, "plant/P1000/asset/P-101/condition", signed_delivery(event, SECRET)[0])  # and over MQTT
    [drop] = [d for d in store.webhook_drops_after(0, source="condition") if d.event_id == event["event_id"]]
    assert drop.status == "received"


def test_a_signed_but_invalid_event_is_kept_rejected_with_the_reason(receiver):
    store, url = receiver
    [event] = publisher.events("P-101", 11.2, 1)
    body, headers = signed_delivery({**event, "unit": None}, SECRET)
    answer = httpx.post(url, content=body, headers=headers)
    assert answer.status_code == 422
    [drop] = [d for d in store.rejected_drops("condition") if d.event_id == event["event_id"]]
    assert drop.reason == answer.json()["error"] and "unit: missing or not a text (None)" in drop.reason


def test_a_bad_signature_stores_nothing(receiver):
    store, url = receiver
    [event] = publisher.events("P-101", 11.2, 1)
    body, headers = signed_delivery(event, "whsec_" + base64.b64encode(b"wrong-key").decode())
    assert httpx.post(url, content=body, headers=headers).status_code == 401
    assert [d for d in store.webhook_drops_after(0) if d.event_id == event["event_id"]] == []
