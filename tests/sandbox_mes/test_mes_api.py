"""The MES sandbox over real HTTP: API-key auth, product orders, completion triggers (POST and GET, signed
or with a shared secret, retried), summary and reset."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.mes import MESSettings, create_app
from sandbox.mes.triggers import DEFAULT_WEBHOOK_SECRET
from sandbox.server import serving

KEY = {"X-API-Key": "sandbox-mes-api-key"}


def receiver(calls: list, fail_first: int = 0):
    async def hook(request: Request) -> JSONResponse:
        calls.append((request.method, dict(request.headers), request.url.query, await request.body()))
        return JSONResponse({}, status_code=503 if len(calls) <= fail_first else 202)

    return Starlette(routes=[Route("/hook", hook, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def mes():
    with serving(create_app(MESSettings(trigger_retry_delays_s=(0.05, 0.05)))) as url:
        yield httpx.Client(base_url=url, headers=KEY)


def new_order(mes, number: str, material: str = "ASM-10002") -> dict:
    [article] = mes.get("/api/v1/articles", params={"erpMaterial": material}).json()["data"]
    body = {"number": number, "articleId": article["id"], "quantity": 3, "dueDate": "2026-12-24"}
    response = mes.post("/api/v1/product-orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def wait_for(calls: list, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(calls) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_every_api_call_needs_the_api_key(mes):
    assert httpx.get(f"{mes.base_url}/api/v1/articles").status_code == 401
    assert httpx.get(f"{mes.base_url}/api/v1/articles", headers={"X-API-Key": "wrong"}).status_code == 401


def test_a_product_order_number_is_taken_once(mes):
    new_order(mes, "PO-1")
    again = mes.post(
        "/api/v1/product-orders",
        json={"number": "PO-1", "articleId": "ART-000001", "quantity": 1, "dueDate": "2026-12-24"},
    )
    assert again.status_code == 409


def test_a_bad_order_names_the_field(mes):
    response = mes.post("/api/v1/product-orders", json={"number": "PO-X", "articleId": "ART-000001", "quantity": -1})
    assert response.status_code == 400 and "quantity" in response.json()["error"]["message"]


def test_a_signed_post_trigger_is_retried_until_accepted(mes):
    calls: list = []
    with serving(receiver(calls, fail_first=1)) as hook:
        mes.post("/api/v1/triggers", json={"articleCategory": "Assembly", "url": f"{hook}/hook"}).raise_for_status()
        new_order(mes, "PO-2")
        done = mes.post("/api/v1/product-orders/PO-2/complete", json={"operator": "op", "goodQuantity": 3}).json()
        wait_for(calls, 2)
        mes.delete(f"/api/v1/triggers/{mes.get('/api/v1/triggers').json()['data'][0]['id']}")
    assert done["triggersFired"] == 1 and len(calls) == 2
    method, headers, _, body = calls[1]
    signed = f"{headers['x-azumuta-timestamp']}.".encode() + body
    expected = "sha256=" + hmac.new(DEFAULT_WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert method == "POST" and headers["x-azumuta-signature"] == expected
    assert calls[0][1]["x-azumuta-delivery"] == headers["x-azumuta-delivery"]
    assert done["recording"]["id"].encode() in body


def test_a_get_trigger_carries_the_ids_as_query_parameters_and_a_shared_secret(mes):
    calls: list = []
    with serving(receiver(calls)) as hook:
        trigger = {
            "articleCategory": "Assembly",
            "url": f"{hook}/hook",
            "method": "GET",
            "auth": "secret",
            "secret": "s3",
        }
        mes.post("/api/v1/triggers", json=trigger).raise_for_status()
        listed = mes.get("/api/v1/triggers").json()["data"]
        assert listed and all("secret" not in t for t in listed)
        new_order(mes, "PO-3")
        mes.post("/api/v1/product-orders/PO-3/complete", json={"operator": "op", "goodQuantity": 2}).raise_for_status()
        wait_for(calls, 1)
    method, headers, query, _ = calls[0]
    assert method == "GET" and headers["x-azumuta-secret"] == "s3"
    assert "productOrderNumber=PO-3" in query and "recordingId=REC-" in query and "workInstructionId=WI-" in query


def test_the_summary_counts_orders_by_status_and_recordings():
    with serving(create_app(MESSettings())) as url:
        mes = httpx.Client(base_url=url, headers=KEY)
        for number in ("S-1", "S-2", "S-3"):
            new_order(mes, number)
        mes.post("/api/v1/product-orders/S-1/complete", json={"operator": "op", "goodQuantity": 3}).raise_for_status()
        mes.patch("/api/v1/product-orders/S-2", json={"status": "CLOSED"}).raise_for_status()
        summary = httpx.get(f"{url}/_sandbox/summary").json()
        assert summary["product_orders"] == {"OPEN": 1, "COMPLETED": 1, "CLOSED": 1}
        assert summary["recordings"] == 1
        httpx.post(f"{url}/_sandbox/reset").raise_for_status()
        assert httpx.get(f"{url}/_sandbox/summary").json()["product_orders"] == {}
