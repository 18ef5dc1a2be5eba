"""Released ERP production orders -> MES product orders, over real HTTP against the ERP and MES sandboxes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assets.shop_floor_state import MES_PRODUCT_ORDER_PLAN, MES_PRODUCT_ORDERS, SHOP_FLOOR_RECONCILIATION
from tests.shop_floor.shop_floor_harness import SEEDED_ORDERS, ShopFloorHarness, metadata
from tests.sync_harness import sync_harness


@pytest.fixture(scope="module")
def shop_floor(tmp_path_factory):
    with sync_harness(tmp_path_factory.mktemp("shop_floor_orders")) as systems:
        harness = ShopFloorHarness(systems)
        harness.before_sync = harness.reconcile()  # type: ignore[attr-defined]
        harness.first_sync = harness.sync_orders()  # type: ignore[attr-defined]
        yield harness


def test_reconciliation_flags_a_released_erp_order_missing_in_the_mes(shop_floor):
    result = shop_floor.before_sync
    [check] = result.get_asset_check_evaluations()
    assert not check.passed
    found = metadata(result, SHOP_FLOOR_RECONCILIATION)
    assert found["missing_in_mes"] == 5 and found["differences"] == 5


def test_five_released_erp_orders_become_five_mes_product_orders(shop_floor):
    assert shop_floor.first_sync.success
    with shop_floor.mes() as mes:
        orders = mes.product_orders()
        articles = {article: material for material, article in mes.articles_by_material().items()}
    assert sorted(orders) == SEEDED_ORDERS
    for number in SEEDED_ORDERS:
        erp = shop_floor.erp_order(number)
        mes_order = orders[number]
        assert articles[mes_order.article_id] == erp.material
        assert mes_order.quantity == erp.quantity
        assert mes_order.due_date == erp.due_date
        assert mes_order.parameters == {
            "erpOrder": number,
            "plant": "1000",
            "plannedStart": erp.start_date,
            "components": 0,
        }
        assert mes_order.variants == {"productionVersion": "0001"}
    assert metadata(shop_floor.first_sync, MES_PRODUCT_ORDERS)["created"] == 5


def test_a_rerun_writes_nothing_to_the_mes(shop_floor):
    writes = shop_floor.mes_writes()
    result = shop_floor.sync_orders()
    assert result.success
    assert metadata(result, MES_PRODUCT_ORDER_PLAN)["unchanged"] == 5
    assert shop_floor.mes_writes() == writes


def test_a_changed_erp_quantity_updates_the_mes_order(shop_floor):
    shop_floor.change_erp_order("1000002", MfgOrderPlannedTotalQty=Decimal("12"))
    writes = shop_floor.mes_writes()
    result = shop_floor.sync_orders()
    assert metadata(result, MES_PRODUCT_ORDERS)["updated"] == 1
    assert shop_floor.mes_writes() == writes + 1
    with shop_floor.mes() as mes:
        assert mes.product_order("1000002").quantity == Decimal("12")


def test_a_technically_completed_erp_order_closes_the_mes_order(shop_floor):
    shop_floor.erp_status("1000005", "technically_complete")
    result = shop_floor.sync_orders()
    assert metadata(result, MES_PRODUCT_ORDERS)["closed"] == 1
    with shop_floor.mes() as mes:
        assert mes.product_order("1000005").status == "CLOSED"
    assert shop_floor.reconcile().get_asset_check_evaluations()[0].passed


def test_an_erp_material_without_an_mes_article_is_held_as_a_dead_letter_and_reconciled_as_missing(shop_floor):
    # a purchased material the ERP holds: the MES has articles only for what the shop floor builds
    number = shop_floor.create_released_erp_order(shop_floor.purchased_material(), "3")
    result = shop_floor.sync_orders()
    assert metadata(result, MES_PRODUCT_ORDERS)["held"] == 1
    [letter] = [d for d in shop_floor.dead_letters() if d.key == number]
    assert letter.error_code == "NO_MES_ARTICLE" and "has no MES article" in letter.message
    found = metadata(shop_floor.reconcile(), SHOP_FLOOR_RECONCILIATION)
    assert (found["missing_in_mes"], found["differences"]) == (1, 1)
