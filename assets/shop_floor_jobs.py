"""Jobs of the shop-floor flow: production orders to the MES, completions back, and their reconciliation."""

import dagster as dg

from assets.shop_floor_state import (
    ERP_CONFIRMATIONS,
    ERP_PRODUCTION_ORDERS,
    MES_PRODUCT_ORDER_PLAN,
    MES_PRODUCT_ORDERS,
    SHOP_FLOOR_RECONCILIATION,
)

SHOP_FLOOR_ORDERS_SELECTION = dg.AssetSelection.assets(
    ERP_PRODUCTION_ORDERS, MES_PRODUCT_ORDER_PLAN, MES_PRODUCT_ORDERS
)
SHOP_FLOOR_COMPLETIONS_SELECTION = dg.AssetSelection.assets(ERP_CONFIRMATIONS)
SHOP_FLOOR_RECONCILIATION_SELECTION = dg.AssetSelection.assets(SHOP_FLOOR_RECONCILIATION)

shop_floor_orders = dg.define_asset_job(
    "shop_floor_orders",
    selection=SHOP_FLOOR_ORDERS_SELECTION,
    description="Released ERP production orders -> MES product orders (created, updated, closed; deltas only).",
    executor_def=dg.in_process_executor,
)

shop_floor_completions = dg.define_asset_job(
    "shop_floor_completions",
    selection=SHOP_FLOOR_COMPLETIONS_SELECTION,
    description="Completed MES product orders (webhook drops) -> ERP confirmations and goods receipts, once each.",
    executor_def=dg.in_process_executor,
)

shop_floor_reconciliation = dg.define_asset_job(
    "shop_floor_reconciliation",
    selection=SHOP_FLOOR_RECONCILIATION_SELECTION,
    description="ERP production orders and confirmations vs MES product orders and recordings; writes neither.",
    executor_def=dg.in_process_executor,
)
