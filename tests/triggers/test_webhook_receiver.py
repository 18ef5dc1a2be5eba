"""The webhook receiver over real HTTP: what it accepts, what it refuses, and that refusals store nothing."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from orchestration.triggers_config import SANDBOX_PLM_WEBHOOK_SECRET, WebhookSettings, webhook_secrets
from orchestration.webhooks import receiving
from tests.triggers.support import OTHER_SECRET, change_event, post, signed_delivery


def test_a_signed_event_is_dropped_once_and_answered_202(receiver, store):
    body, headers = signed_delivery(change_event("ECO-1", "ASM-10006"), msg_id="msg_one")
    response = post(receiver.plm_url, body, headers)
    assert response.status_code == 202
    [drop] = store.webhook_drops_after(0)
    assert (drop.source, drop.event_id, drop.event_type) == ("plm", "msg_one", "change.effective")
    assert drop.payload["data"]["affectedItems"][0]["number"] == "ASM-10006"


def test_a_replayed_event_id_gets_200_and_is_not_stored_again(receiver, store):
    body, headers = signed_delivery(change_event("ECO-1", "ASM-10006"), msg_id="msg_same")
    assert post(receiver.plm_url, body, headers).status_code == 202
    replay_body, replay_headers = signed_delivery(change_event("ECO-1", "ASM-10006"), msg_id="msg_same")
    assert post(receiver.plm_url, replay_body, replay_headers).status_code == 200
    assert len(store.webhook_drops_after(0)) == 1


@pytest.mark.parametrize(
    "case, status",
    [
        ("bad signature", 401),
        ("missing signature", 401),
        ("stale timestamp", 400),
        ("non-JSON body", 400),
        ("unknown event type", 400),
        ("event without affected items", 400),
        ("wrong content type", 415),
    ],
)
def test_a_bad_delivery_gets_its_status_and_leaves_no_drop(receiver, store, case, status):
    event = change_event("ECO-2", "PRT-200255")
    if case == "bad signature":
        body, headers = signed_delivery(event, secret=OTHER_SECRET)
    elif case == "missing signature":
        body, headers = signed_delivery(event)
        del headers["webhook-signature"]
    elif case == "stale timestamp":
        body, headers = signed_delivery(event, timestamp=int(time.time()) - 301)
    elif case == "non-JSON body":
        body, headers = signed_delivery(event, body=b"<change>ECO-2</change>")
    elif case == "unknown event type":
        body, headers = signed_delivery({**event, "type": "item.deleted"})
    elif case == "event without affected items":
        body, headers = signed_delivery({**event, "data": {"number": "ECO-2"}})
    else:
        body, headers = signed_delivery(event)
        headers["content-type"] = "text/plain"
    response = post(receiver.plm_url, body, headers)
    assert response.status_code == status, response.text
    assert store.webhook_drops_after(0) == []


def test_a_2_mib_body_gets_413_and_leaves_no_drop(receiver, store):
    event = change_event("ECO-3", "PRT-200255")
    event["data"]["padding"] = "x" * (2 * 1024 * 1024)
    body, headers = signed_delivery(event)
    assert post(receiver.plm_url, body, headers).status_code == 413
    assert store.webhook_drops_after(0) == []


def test_a_chunked_body_over_the_limit_gets_413_without_a_content_length(receiver, store):
    event = change_event("ECO-4", "PRT-200255")
    event["data"]["padding"] = "x" * (2 * 1024 * 1024)
    body, headers = signed_delivery(event)

    def chunks():  # a generator body is sent chunked: only the streamed size can catch it
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = httpx.post(receiver.plm_url, content=chunks(), headers=headers, timeout=30)
    assert response.status_code == 413
    assert store.webhook_drops_after(0) == []


def test_during_rotation_events_signed_with_either_secret_are_accepted(store):
    settings = WebhookSettings.from_env(
        {
            "MFG_SYNC_PLM_WEBHOOK_SECRET": f"{OTHER_SECRET} {SANDBOX_PLM_WEBHOOK_SECRET}",
            "MFG_SYNC_PLM_URL": "http://127.0.0.1:8101",
        }
    )
    with receiving(store, settings) as running:
        for secret in (OTHER_SECRET, SANDBOX_PLM_WEBHOOK_SECRET):
            body, headers = signed_delivery(change_event("ECO-5", "PRT-200255"), secret=secret)
            assert post(running.plm_url, body, headers).status_code == 202
    assert len(store.webhook_drops_after(0)) == 2


def test_rejections_are_logged_with_their_reason_and_never_the_secret(receiver, caplog):
    caplog.set_level(logging.INFO, logger="orchestration.webhooks")
    body, headers = signed_delivery(change_event("ECO-6", "PRT-200255"), secret=OTHER_SECRET)
    post(receiver.plm_url, body, headers)
    rejected = [r.getMessage() for r in caplog.records if "rejected 401" in r.getMessage()]
    assert rejected and "signature does not match" in rejected[0]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (SANDBOX_PLM_WEBHOOK_SECRET, OTHER_SECRET):
        assert secret not in logged and secret.removeprefix("whsec_") not in logged


def test_healthz_answers(receiver):
    assert httpx.get(f"{receiver.url}/healthz").json()["ok"] is True


def test_a_malformed_secret_setting_names_the_variable():
    with pytest.raises(ValueError, match="MFG_SYNC_PLM_WEBHOOK_SECRET: secret #2"):
        webhook_secrets({"MFG_SYNC_PLM_WEBHOOK_SECRET": f"{SANDBOX_PLM_WEBHOOK_SECRET} not-a-secret"})


def test_under_the_sandbox_profile_the_secret_is_the_sandbox_plms_so_the_demo_verifies_out_of_the_box():
    from sandbox.plm import DEFAULT_WEBHOOK_SECRET

    assert SANDBOX_PLM_WEBHOOK_SECRET == DEFAULT_WEBHOOK_SECRET
    settings = WebhookSettings.from_env({"MFG_SYNC_PROFILE": "sandbox"})
    assert settings.plm_secrets == webhook_secrets(
        {"MFG_SYNC_PLM_WEBHOOK_SECRET": DEFAULT_WEBHOOK_SECRET, "MFG_SYNC_PLM_URL": "http://127.0.0.1:8101"}
    )
    assert json.dumps(settings.max_body_bytes) == str(1024 * 1024)
