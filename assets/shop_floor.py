"""ERP production orders -> MES product orders: the extract, the plan (a dry run) and its apply.

Idempotent by order number: the plan compares each released ERP order with a fresh read of the MES, so a
re-run writes nothing, a changed quantity or due date is one PATCH, and a technically completed, closed or
deleted ERP order closes its MES product order. An ERP material without an MES article is held, named.
"""

import time

import dagster as dg
import pandas as pd

from assets.keys import OWNERS, ins
from assets.metadata import api_metadata, rows_table
from assets.shop_floor_state import (
    ERP_PRODUCTION_ORDERS,
    MES_PRODUCT_ORDER_PLAN,
    MES_PRODUCT_ORDERS,
    PRODUCT_ORDER,
    SHOP_FLOOR_FLOW,
    ShopFloorSpecResource,
    record_failure,
    record_write,
    shop_floor_tags,
    sync_run,
)
from resources.erp import ERPResource
from resources.erp.sap.production import ProductionServices
from resources.mes import MESResource
from resources.state import SyncStateResource
from resources.transport import ApiError
from sync.frames import frame_to_records, records_to_frame
from sync.shop_floor import ProductionOrder, ProductOrderChange, plan_product_orders

PLAN_COLUMNS = ["number", "op", "material", "article_id", "quantity", "due_date", "changes", "message"]
RESULT_COLUMNS = ["number", "op", "status", "error_code", "message"]


@dg.asset(
    key=ERP_PRODUCTION_ORDERS,
    group_name=SHOP_FLOOR_FLOW,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=shop_floor_tags("extract", "erp"),
    pool="erp_api",
    description="The plant's ERP production orders (API_PRODUCTION_ORDER_2_SRV) with their status and components.",
)
def erp_production_orders(context: dg.AssetExecutionContext, erp: ERPResource) -> dg.Output:
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        orders = ProductionServices(client.api, plant=client.plant).production_orders()
        metrics = client.metrics.snapshot()
    by_status: dict[str, int] = {}
    for order in orders:
        by_status[order.status] = by_status.get(order.status, 0) + 1
    context.log.info(f"{len(orders)} production order(s): {by_status}")
    return dg.Output(
        records_to_frame(orders, ProductionOrder),
        metadata={
            "orders": len(orders),
            **{f"orders_{k}": v for k, v in by_status.items()},
            **api_metadata("erp", metrics),
        },
    )


@dg.asset(
    key=MES_PRODUCT_ORDER_PLAN,
    ins=ins(erp_production_orders=ERP_PRODUCTION_ORDERS),
    group_name=SHOP_FLOOR_FLOW,
    kinds={"azumuta", "pandas", "parquet"},
    owners=OWNERS,
    tags=shop_floor_tags("plan", "erp"),
    description="MES product orders to create, update or close, compared with a fresh read of the MES (dry run).",
)
def mes_product_order_plan(
    context: dg.AssetExecutionContext,
    erp_production_orders: pd.DataFrame,
    mes: MESResource,
    shop_floor_spec: ShopFloorSpecResource,
) -> dg.Output:
    orders = frame_to_records(erp_production_orders, ProductionOrder)
    with mes.client(correlation_id=context.run.run_id, logger=context.log) as client:
        existing, articles = client.product_orders(), client.articles_by_material()
        metrics = client.metrics.snapshot()
    changes = plan_product_orders(shop_floor_spec.spec(), orders, existing, articles)
    counts = {op: sum(c.op == op for c in changes) for op in ("create", "update", "close", "unchanged", "held")}
    context.log.info(f"product order plan {counts}")
    shown = [c.to_row() for c in changes if c.op != "unchanged"]
    return dg.Output(
        records_to_frame(changes, ProductOrderChange),
        metadata={**counts, "changes": rows_table(shown, PLAN_COLUMNS), **api_metadata("mes", metrics)},
    )


@dg.asset(
    key=MES_PRODUCT_ORDERS,
    ins=ins(mes_product_order_plan=MES_PRODUCT_ORDER_PLAN),
    group_name=SHOP_FLOOR_FLOW,
    kinds={"azumuta", "pandas", "parquet"},
    owners=OWNERS,
    tags=shop_floor_tags("apply", "erp"),
    pool="mes_api",
    description="MES product orders written as planned, one outcome per order.",
)
def mes_product_orders(
    context: dg.AssetExecutionContext,
    mes_product_order_plan: pd.DataFrame,
    mes: MESResource,
    sync_state: SyncStateResource,
) -> dg.Output:
    store, started = sync_state.store(), time.monotonic()
    run_id = sync_run(context, sync_state)
    planned = frame_to_records(mes_product_order_plan, ProductOrderChange)
    changes = [c for c in planned if c.op in ("create", "update", "close")]
    for held in (c for c in planned if c.op == "held"):  # a dead letter naming the order and its material
        record_failure(store, run_id, PRODUCT_ORDER, held.number, "NO_MES_ARTICLE", held.message, False)
    rows = []
    with mes.client(correlation_id=context.run.run_id, logger=context.log) as client:
        for change in changes:
            body = change.body()
            try:
                if change.op == "create":
                    client.create_product_order(body)
                else:
                    client.update_product_order(change.number, body)
            except ApiError as err:
                record_failure(store, run_id, PRODUCT_ORDER, change.number, err.code, str(err), err.retryable)
                rows.append(
                    {
                        "number": change.number,
                        "op": change.op,
                        "status": "failed",
                        "error_code": err.code,
                        "message": str(err),
                    }
                )
                continue
            before = {k: v[0] for k, v in change.changes.items()} or None
            record_write(store, run_id, PRODUCT_ORDER, change.number, body, before, change.number)
            rows.append(
                {"number": change.number, "op": change.op, "status": "written", "error_code": None, "message": ""}
            )
        metrics = client.metrics.snapshot()
    failed = sum(r["status"] == "failed" for r in rows)
    counts = {op: sum(r["op"] == op and r["status"] == "written" for r in rows) for op in ("create", "update", "close")}
    store.finish_run(
        run_id,
        "partial" if failed else "succeeded",
        {"created": counts["create"], "updated": counts["update"], "deleted": counts["close"], "failed": failed},
    )
    context.log.info(f"MES product orders: {counts}, {failed} failed")
    if failed:
        raise dg.Failure(
            f"{failed} MES product order write(s) failed", metadata={"results": rows_table(rows, RESULT_COLUMNS)}
        )
    return dg.Output(
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        metadata={
            "created": counts["create"],
            "updated": counts["update"],
            "closed": counts["close"],
            "held": sum(c.op == "held" for c in planned),
            "failed": failed,
            "results": rows_table(rows, RESULT_COLUMNS),
            "duration_s": round(time.monotonic() - started, 3),
            **api_metadata("mes", metrics),
        },
    )
