"""MES completions -> webhook -> ERP confirmation and goods receipt, exactly once, over real HTTP: the MES's
trigger calls the real receiver, and the ERP drops the connection after committing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal

import httpx
import pytest

from assets.shop_floor_state import ERP_CONFIRMATIONS
from orchestration.triggers_config import WebhookSettings
from orchestration.webhooks import receiving
from sandbox.mes.triggers import DEFAULT_WEBHOOK_SECRET
from tests.shop_floor.shop_floor_harness import ShopFloorHarness, metadata
from tests.sync_harness import sync_harness

ORDER = "1000001"  # ASM-10001, 5 EA


def signed_post(url: str, payload: dict, delivery: str, secret: str = DEFAULT_WEBHOOK_SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    signature = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "X-Azumuta-Delivery": delivery,
        "X-Azumuta-Timestamp": timestamp,
        "X-Azumuta-Signature": signature,
    }
    return httpx.post(url, content=body, headers=headers)


def wait_for_drops(shop_floor: ShopFloorHarness, count: int) -> list:
    deadline = time.monotonic() + 15
    while len(drops := shop_floor.mes_drops()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return drops


@pytest.fixture(scope="module")
def shop_floor(tmp_path_factory):
    with sync_harness(tmp_path_factory.mktemp("shop_floor_completions")) as systems:
        harness = ShopFloorHarness(systems)
        store = systems.state().store()
        with receiving(store, WebhookSettings.from_env()) as receiver:
            harness.receiver_url = f"{receiver.url}/webhooks/mes"  # type: ignore[attr-defined]
            assert harness.sync_orders().success
            harness.create_material("ASM-10001")
            with harness.mes() as mes:
                mes.subscribe(harness.receiver_url, category="Assembly")
            yield harness


@pytest.fixture(scope="module")
def completed(shop_floor):
    """The operator completes order 1000001 (4 good, 1 scrap); the MES's trigger calls the receiver; the
    same completion arrives twice more (other delivery ids); the ERP drops its answer to the confirmation."""
    with shop_floor.mes() as mes:
        done = mes.complete(ORDER, "operator-7", 4, 1, torque_nm=42.5)
    [drop] = wait_for_drops(shop_floor, 1)
    for n in (2, 3):
        assert signed_post(shop_floor.receiver_url, drop.payload, f"DLV-REPLAY-{n}").status_code == 202
    shop_floor.systems.faults("erp", drop_after_commit_next=1)
    documents = shop_floor.material_documents()
    result = shop_floor.confirm_completions()
    faults = httpx.get(f"{shop_floor.systems.url('erp')}/_sandbox/faults").json()
    assert faults["drop_after_commit_next"] == 0, "the ERP dropped no answer"
    shop_floor.systems.faults("erp")
    return done["recording"], result, documents


def test_a_completion_becomes_one_erp_confirmation_with_the_recorded_yield_and_scrap(shop_floor, completed):
    recording, result, _ = completed
    assert result.success
    [confirmation] = shop_floor.confirmations(ORDER)
    assert confirmation["ConfirmationText"] == f"MES-{recording['id']}"
    assert Decimal(confirmation["ConfirmationYieldQuantity"]) == 4
    assert Decimal(confirmation["ConfirmationScrapQuantity"]) == 1
    assert confirmation["FinalConfirmationType"] == "1"
    found = metadata(result, ERP_CONFIRMATIONS)
    assert (found["drops"], found["posted"], found["repeated"]) == (3, 1, 2)


def test_a_completion_becomes_one_goods_receipt_of_the_yield(shop_floor, completed):
    recording, _, documents_before = completed
    reference = f"MES-{recording['id']}"
    receipt = shop_floor.receipts(reference)[reference]
    assert (receipt.movement_type, receipt.order, receipt.quantity) == ("101", ORDER, Decimal(4))
    assert shop_floor.material_documents() == documents_before + 1


def test_the_drops_are_processed_and_a_rerun_posts_nothing(shop_floor, completed):
    assert all(d.processed_at is not None for d in shop_floor.mes_drops())
    writes = shop_floor.systems.stats("erp")["writes"]
    assert shop_floor.confirm_completions().success
    assert shop_floor.systems.stats("erp")["writes"] == writes
    assert len(shop_floor.confirmations(ORDER)) == 1


@pytest.mark.parametrize(
    "case",
    ["unsigned", "wrong signature", "malformed JSON", "not a completion"],
)
def test_a_malformed_or_unsigned_webhook_is_rejected_and_stored_nowhere(shop_floor, case):
    before = len(shop_floor.mes_drops())
    event = {"event": "productOrder.completed", "productOrderNumber": ORDER, "recordingId": "REC-999999"}
    if case == "unsigned":
        response = httpx.post(shop_floor.receiver_url, json=event, headers={"X-Azumuta-Delivery": "DLV-U"})
        assert response.status_code == 401
    elif case == "wrong signature":
        assert signed_post(shop_floor.receiver_url, event, "DLV-W", secret="not-the-secret").status_code == 401
    elif case == "malformed JSON":
        timestamp = str(int(time.time()))
        body = b'{"event": "productOrder.completed", '
        sig = (
            "sha256="
            + hmac.new(DEFAULT_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        )
        headers = {
            "content-type": "application/json",
            "X-Azumuta-Delivery": "DLV-M",
            "X-Azumuta-Timestamp": timestamp,
            "X-Azumuta-Signature": sig,
        }
        assert httpx.post(shop_floor.receiver_url, content=body, headers=headers).status_code == 400
    else:
        assert signed_post(shop_floor.receiver_url, {**event, "recordingId": "../etc"}, "DLV-N").status_code == 400
    assert len(shop_floor.mes_drops()) == before
