"""`EAMResource` / `EAMClient` against the EAM sandbox over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

try:
    from tests.sandbox_eam.eam_fixtures import running_eam, wo_path  # noqa: F401
except ImportError:  # tests/sandbox_eam is not a package: pytest put its folder on sys.path
    from eam_fixtures import running_eam, wo_path  # noqa: F401

from resources.eam.client import BALANCE, WORK_ORDER
from resources.eam.maximo_errors import maximo_error_parser
from resources.eam.resource import EAMResource
from resources.transport import AuthError, NotFoundError, ValidationError
from sync.records import WorkOrder


@pytest.fixture
def served():
    with running_eam(publish_retry_delays_s=(0.05,)) as (app, raw):
        yield app, raw, str(raw.base_url)


def test_from_env_reads_url_auth_and_the_apikey_as_an_env_var(monkeypatch):
    monkeypatch.setenv("MFG_SYNC_EAM_URL", "http://eam.example:9080")
    monkeypatch.setenv("MFG_SYNC_EAM_APIKEY", "k-123")
    monkeypatch.setenv("MFG_SYNC_EAM_AUTH", "maxauth")
    resource = EAMResource.from_env()
    assert (resource.url, resource.auth) == ("http://eam.example:9080", "maxauth")
    assert "k-123" not in repr(resource)


def test_query_follows_next_page_until_every_record_is_read(served):
    _, raw, url = served
    with EAMResource(url=url, page_size=7).client() as client:
        orders = client.work_orders()
    assert len(orders) == 60 and all(isinstance(o, WorkOrder) for o in orders)
    assert len({o.number for o in orders}) == 60
    assert raw.get("/_sandbox/stats").json()["calls"]["GET /maximo/{root}/os/{structure}"] == 9  # ceil(60 / 7)


def test_delta_cursor_sees_a_new_issue_in_transactions_but_not_on_the_work_order(served):
    _, raw, url = served
    with EAMResource(url=url).client() as client:
        cursor = client.delta(WORK_ORDER, 0, select="wonum").cursor
        approved = next(o for o in client.work_order_materials('status="APPR"') if o.reserved_quantity)
        href = client.href(WORK_ORDER, approved.site, approved.work_order)
        assert not client.issue_material(href, approved.item, approved.storeroom, 1).duplicate
        assert client.delta(WORK_ORDER, cursor, select="wonum").members == []
        moves, next_cursor = client.material_transactions(since=cursor)
    assert [(m.work_order, m.item, m.quantity, m.issue_type) for m in moves] == [
        (approved.work_order, approved.item, Decimal("-1.0"), "ISSUE")
    ]
    assert next_cursor > cursor


def test_bulk_maps_each_failed_item_to_a_typed_error_with_maximos_reason_code(served):
    _, _, url = served
    with EAMResource(url=url).client() as client:
        results = client.bulk(
            WORK_ORDER,
            [
                {"wonum": "C-1", "_action": "Add"},
                {"wonum": "C-1", "_action": "Add"},
                {"href": client.href(WORK_ORDER, "P1000", "NOPE"), "_action": "Update"},
            ],
        )
    assert [(r.status, r.ok) for r in results] == [(201, True), (400, False), (404, False)]
    assert isinstance(results[1].error, ValidationError) and results[1].error.code == "BMXAA4129E"
    assert isinstance(results[2].error, NotFoundError)
    assert results[0].location.endswith(wo_path("C-1"))


def test_a_write_repeated_with_its_transaction_id_is_reported_as_already_applied(served):
    _, raw, url = served
    with EAMResource(url=url).client() as client:
        first = client.create(WORK_ORDER, {"wonum": "D-1", "description": "once"}, transaction_id="wo-D-1")
        again = client.create(WORK_ORDER, {"wonum": "D-1", "description": "once"}, transaction_id="wo-D-1")
    assert (first.status, first.duplicate) == (201, False)
    assert (again.status, again.duplicate) == (409, True)
    assert raw.get("/_sandbox/stats").json()["writes"] == 1


def test_a_bulk_repeated_with_its_transaction_id_reports_every_item_as_already_applied(served):
    _, raw, url = served
    items = [{"wonum": "G-1", "_action": "Add"}, {"wonum": "G-2", "_action": "Add"}]
    with EAMResource(url=url).client() as client:
        assert all(r.ok and not r.duplicate for r in client.bulk(WORK_ORDER, items, transaction_id="bulk-G"))
        again = client.bulk(WORK_ORDER, items, transaction_id="bulk-G")
    assert [(r.status, r.duplicate) for r in again] == [(409, True), (409, True)]
    assert raw.get("/_sandbox/stats").json()["writes"] == 2


def test_a_write_without_a_key_gets_a_derived_transaction_id_so_its_repeat_is_a_duplicate(served):
    _, _, url = served
    with EAMResource(url=url).client() as client:
        body = {"wonum": "E-1", "description": "derived"}
        assert not client.create(WORK_ORDER, body).duplicate
        assert client.create(WORK_ORDER, body).duplicate


def test_a_write_refused_by_an_outage_is_resent_with_its_transaction_id_and_applied_once(served):
    _, raw, url = served
    raw.put("/_sandbox/faults", json={"fail_next": 1, "fail_next_status": 503})
    with EAMResource(url=url, backoff_initial_s=0.01).client() as client:
        result = client.create(WORK_ORDER, {"wonum": "F-1"}, transaction_id="wo-F-1")
    assert result.status == 201
    assert raw.get(wo_path("F-1")).status_code == 200


def test_status_change_refused_by_maximo_is_a_validation_error_with_its_reason_code(served):
    _, _, url = served
    with EAMResource(url=url).client() as client:
        closed = client.work_orders('status="CLOSE"')[0]
        with pytest.raises(ValidationError) as caught:
            client.change_status(client.href(WORK_ORDER, closed.site, closed.number), "INPRG")
    assert caught.value.code == "BMXAA4590E" and "CLOSE" in caught.value.message


def test_wrong_apikey_is_an_auth_error_with_maximos_code(served):
    _, _, url = served
    with EAMResource(url=url, apikey="wrong").client() as client, pytest.raises(AuthError) as caught:
        client.assets()
    assert caught.value.code == "BMXAA0021E" and caught.value.status == 401


def test_maxauth_mode_logs_in_once_and_reads_over_the_session_cookie(served):
    _, raw, url = served
    with EAMResource(url=url, auth="maxauth").client() as client:
        assets = client.assets()
        balances = client.inventory_balances('location="CENTRAL"')
    assert {a.number for a in assets} >= {"P-101", "CV-201"} and all(a.erp_equipment for a in assets)
    assert balances and all(b.storeroom == "CENTRAL" for b in balances)
    assert raw.get("/_sandbox/stats").json()["calls"].get("POST /maximo/oslc/login") == 1


def test_return_and_adjust_balance_move_stock_as_maximo_does(served):
    _, _, url = served
    with EAMResource(url=url).client() as client:
        line = next(m for m in client.work_order_materials('status="INPRG"') if (m.actual_quantity or 0) >= 1)
        before = {(b.item, b.storeroom): b for b in client.inventory_balances()}[(line.item, line.storeroom)]
        client.return_material(client.href(WORK_ORDER, line.site, line.work_order), line.item, line.storeroom, 1)
        after = {(b.item, b.storeroom): b for b in client.inventory_balances()}[(line.item, line.storeroom)]
        assert after.current_balance == before.current_balance + 1
        client.adjust_balance(client.href(BALANCE, after.item, after.storeroom, after.bin, after.site), 3)
        assert client.inventory_balances(f'itemnum="{after.item}" and location="{after.storeroom}"')[
            0
        ].current_balance == Decimal("3.0")


def test_maximo_error_body_parses_to_reason_code_and_message():
    import httpx

    response = httpx.Response(
        400, json={"Error": {"reasonCode": "BMXAA4129E", "message": "BMXAA4129E - exists", "statusCode": "400"}}
    )
    assert maximo_error_parser(response) == ("BMXAA4129E", "BMXAA4129E - exists")
    assert maximo_error_parser(httpx.Response(502, text="Bad gateway")) == (None, "Bad gateway")
