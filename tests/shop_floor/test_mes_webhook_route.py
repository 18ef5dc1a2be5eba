"""The receiver's `/webhooks/mes` route for GET triggers and shared-secret triggers, and the sensor that turns
its drops into runs (no sandbox needed: a state store of its own and real HTTP to the receiver)."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import dagster as dg
import httpx
import pytest

from orchestration.triggers_config import WebhookSettings
from orchestration.webhooks import receiving
from resources.state import SyncStateResource
from sandbox.mes.triggers import DEFAULT_WEBHOOK_SECRET
from sensors.mes_completions import mes_completion_sensor

EVENT = {
    "event": "productOrder.completed",
    "productOrderNumber": "1000001",
    "workInstructionId": "WI-000001",
    "recordingId": "REC-000042",
}


@pytest.fixture(scope="module")
def route(tmp_path_factory):
    state = SyncStateResource(url=f"sqlite:///{tmp_path_factory.mktemp('mes_route') / 'state.db'}")
    with receiving(state.store(), WebhookSettings.from_env()) as receiver:
        yield f"{receiver.url}/webhooks/mes", state


def signed_get(url: str, delivery: str, secret: str = DEFAULT_WEBHOOK_SECRET) -> httpx.Response:
    query, timestamp = urlencode(EVENT), str(int(time.time()))
    signature = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.{query}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-Azumuta-Delivery": delivery, "X-Azumuta-Timestamp": timestamp, "X-Azumuta-Signature": signature}
    return httpx.get(f"{url}?{query}", headers=headers)


def drops(state: SyncStateResource) -> list:
    return state.store().webhook_drops_after(0, "mes")


def test_a_signed_get_is_stored_once_with_its_query_parameters(route):
    url, state = route
    assert signed_get(url, "DLV-G1").status_code == 202
    assert signed_get(url, "DLV-G1").status_code == 200  # the MES's retry of the same delivery
    [drop] = [d for d in drops(state) if d.event_id == "DLV-G1"]
    assert drop.payload == EVENT


def test_a_get_signed_with_another_secret_is_refused(route):
    url, state = route
    before = len(drops(state))
    assert signed_get(url, "DLV-G2", secret="someone-else").status_code == 401
    assert len(drops(state)) == before


def test_a_trigger_carrying_the_shared_secret_is_accepted_and_a_wrong_one_refused(route):
    url, state = route
    accepted = httpx.post(
        url, json=EVENT, headers={"X-Azumuta-Delivery": "DLV-S1", "X-Azumuta-Secret": DEFAULT_WEBHOOK_SECRET}
    )
    refused = httpx.post(url, json=EVENT, headers={"X-Azumuta-Delivery": "DLV-S2", "X-Azumuta-Secret": "guess"})
    assert (accepted.status_code, refused.status_code) == (202, 401)
    assert {d.event_id for d in drops(state)} >= {"DLV-S1"} and "DLV-S2" not in {d.event_id for d in drops(state)}


def test_the_sensor_requests_one_run_for_the_new_drops_and_none_for_the_same_drops_again(route):
    _, state = route
    newest = drops(state)[-1].id
    with dg.build_sensor_context(resources={"sync_state": state}) as context:
        first = mes_completion_sensor(context)
    assert [r.run_key for r in first.run_requests] == [f"mes-drops-{newest}"]
    with dg.build_sensor_context(cursor=first.cursor, resources={"sync_state": state}) as context:
        assert isinstance(mes_completion_sensor(context), dg.SkipReason)
