"""MES completions -> ERP confirmations (+ goods receipt 101), exactly once per recording.

The MES's completion webhook carries only ids; the receiver drops it, and this asset reads the unprocessed
drops, fetches each recording over REST and confirms the ERP order with the recorded yield and scrap (final
confirmation), then receives the yield into stock against the order. The key `MES-<recording id>` is
recorded in the state store before and after, written as the ConfirmationText and the material document's
header text, and looked up in the ERP before any (re-)post: three deliveries of one completion, or an
ERP that commits and drops the connection, still make one confirmation and one goods receipt.
"""

import time
from decimal import Decimal

import dagster as dg
import pandas as pd

from assets.keys import OWNERS
from assets.metadata import api_metadata, rows_table
from assets.shop_floor_state import (
    CONFIRMATION,
    ERP_CONFIRMATIONS,
    MES_SOURCE,
    SHOP_FLOOR_FLOW,
    ShopFloorSpecResource,
    confirmation_marks,
    record_confirmation,
    record_failure,
    shop_floor_tags,
    sync_run,
)
from resources.erp import ERPResource
from resources.erp.sap.production import ProductionServices
from resources.mes import MESResource
from resources.state import SyncStateResource
from resources.transport import ApiError
from sync.records import GoodsIssue
from sync.shop_floor_webhook import completion_ids

COLUMNS = ["recording", "order", "yield", "scrap", "confirmation", "goods_receipt", "status", "message"]


def _confirm(client, production: ProductionServices, mes_client, spec, recording_id: str) -> dict:
    recording = mes_client.recording(recording_id)
    mes_order = recording["productOrderNumber"]
    order = mes_order[len(spec.number_prefix) :] if mes_order.startswith(spec.number_prefix) else mes_order
    erp_order = production.read_order(order)
    reference = spec.reference(recording_id)
    good, scrap = Decimal(str(recording["goodQuantity"])), Decimal(str(recording["scrapQuantity"]))
    confirmation, _ = production.confirm(
        erp_order.order, reference, good, scrap, unit=erp_order.unit, final=spec.final, operation=spec.operation
    )
    receipt = ""
    if spec.receipt_storage_location and good > 0:
        posted = client.maintenance.post_goods_movement(
            GoodsIssue(
                reference=reference,
                material=erp_order.material,
                quantity=good,
                movement_type="101",
                plant=erp_order.plant,
                storage_location=spec.receipt_storage_location,
                order=erp_order.order,
            )
        )
        receipt = f"{posted.document_year}/{posted.document}"
    return {
        "recording": recording_id,
        "order": erp_order.order,
        "yield": str(good),
        "scrap": str(scrap),
        "confirmation": f"{confirmation['ConfirmationGroup']}/{confirmation['ConfirmationCount']}",
        "goods_receipt": receipt,
        "status": "posted",
        "message": "",
    }


@dg.asset(
    key=ERP_CONFIRMATIONS,
    group_name=SHOP_FLOOR_FLOW,
    kinds={"sap", "azumuta", "pandas", "parquet"},
    owners=OWNERS,
    tags=shop_floor_tags("apply", "mes"),
    pool="erp_api",
    description="ERP confirmations and goods receipts of completed MES product orders, one per recording.",
)
def erp_confirmations(
    context: dg.AssetExecutionContext,
    erp: ERPResource,
    mes: MESResource,
    sync_state: SyncStateResource,
    shop_floor_spec: ShopFloorSpecResource,
) -> dg.Output:
    store, started, spec = sync_state.store(), time.monotonic(), shop_floor_spec.spec()
    run_id = sync_run(context, sync_state)
    drops = store.webhook_drops_after(0, MES_SOURCE, limit=500, unprocessed_only=True)
    rows, done, skipped = [], [], 0
    with (
        erp.client(correlation_id=context.run.run_id, logger=context.log) as client,
        mes.client(correlation_id=context.run.run_id, logger=context.log) as mes_client,
    ):
        production = ProductionServices(client.api, plant=client.plant)
        for drop in drops:
            ids, problem = completion_ids(drop.payload)
            if problem:
                store.reject_drop(drop.id, problem)
                rows.append({"recording": "", "status": "rejected", "message": problem})
                continue
            recording_id = ids["recordingId"]
            if confirmation_marks(store, [recording_id]).get(recording_id, {}).get("state") == "posted":
                skipped += 1  # a repeated delivery of a completion already confirmed
                done.append(drop.id)
                continue
            record_confirmation(store, run_id, recording_id, "posting", reference=spec.reference(recording_id))
            try:
                row = _confirm(client, production, mes_client, spec, recording_id)
            except ApiError as err:
                record_failure(store, run_id, CONFIRMATION, recording_id, err.code, str(err), err.retryable)
                rows.append({"recording": recording_id, "status": "failed", "message": str(err)})
                if err.status == 404:  # an unknown recording or ERP order: no later run can confirm it
                    store.reject_drop(drop.id, f"recording {recording_id}: {err}")
                continue  # a retryable failure: the drop stays unprocessed, the next run looks before it posts
            record_confirmation(
                store,
                run_id,
                recording_id,
                "posted",
                reference=spec.reference(recording_id),
                confirmation=row["confirmation"],
                goods_receipt=row["goods_receipt"],
                order=row["order"],
            )
            rows.append(row)
            done.append(drop.id)
        erp_metrics, mes_metrics = client.metrics.snapshot(), mes_client.metrics.snapshot()
    store.mark_drops_processed(done)
    posted = sum(r["status"] == "posted" for r in rows)
    failed = sum(r["status"] == "failed" for r in rows)
    store.finish_run(run_id, "partial" if failed else "succeeded", {"created": posted, "failed": failed})
    context.log.info(f"{posted} confirmation(s) posted, {skipped} repeated completion(s) skipped, {failed} failed")
    metadata = {
        "drops": len(drops),
        "posted": posted,
        "repeated": skipped,
        "rejected": sum(r["status"] == "rejected" for r in rows),
        "failed": failed,
        "confirmations": rows_table(rows, COLUMNS),
        "duration_s": round(time.monotonic() - started, 3),
        **api_metadata("erp", erp_metrics),
        **api_metadata("mes", mes_metrics),
    }
    if failed:
        raise dg.Failure(f"{failed} confirmation(s) failed; their drops are read again next run", metadata=metadata)
    return dg.Output(
        pd.DataFrame([{c: r.get(c, "") for c in COLUMNS} for r in rows], columns=COLUMNS), metadata=metadata
    )
