"""Work requests, once approved and reserved, -> ERP purchase requisitions: `erp/purchase_requisitions`.

The reservation is the maintenance flow's (`maintenance_sync` reserves an approved work order's planned
materials; this flow reads its link and never reserves itself). For each planned material: unrestricted
stock minus open reservations below the material's reorder point (rules file) -> one purchase requisition of
the shortfall plus the reorder quantity, keyed `COND-<work order>-<material>` and looked up before it is
created. Every raising event's status follows: approval pending, reserved, requisitioned or stock ok.
"""

import time
from typing import Any

import dagster as dg
import pandas as pd

from assets import condition_state as state
from assets import maintenance_state
from assets.condition_job import ConditionRulesResource
from assets.keys import EAM_WORK_REQUESTS, ERP_PURCHASE_REQUISITIONS, OWNERS, condition_tags
from assets.metadata import api_metadata, rows_table
from resources.eam import EAMResource
from resources.eam import work_requests as eam_requests
from resources.erp import ERPResource
from resources.erp.sap.procurement import Procurement
from resources.state import SyncStateResource
from resources.transport import ApiError
from sync.condition import ConditionRules

APPROVED = ("APPR", "WMATL", "INPRG")
COLUMNS = [
    "work_order",
    "event_id",
    "status",
    "material",
    "stock",
    "reserved",
    "reorder_point",
    "requisition",
    "reason",
]


@dg.asset(
    key=ERP_PURCHASE_REQUISITIONS,
    deps=[EAM_WORK_REQUESTS],
    group_name="condition",
    kinds={"sap", "maximo", "pandas", "parquet"},
    owners=OWNERS,
    tags=condition_tags("apply", "erp"),
    pool="erp_api",
    description="Purchase requisitions for reserved spare parts whose available stock fell below the reorder point.",
)
def erp_purchase_requisitions(
    context: dg.AssetExecutionContext,
    eam: EAMResource,
    erp: ERPResource,
    sync_state: SyncStateResource,
    condition_rules: ConditionRulesResource,
) -> dg.Output:
    store, rules, started = sync_state.store(), condition_rules.rules(), time.monotonic()
    run_id = state.sync_run(context, sync_state)
    pending = {k: r for k, r in state.requests(store).items() if r.get("event_id") and not r.get("done")}
    rows: list[dict[str, Any]] = []
    changed: dict[str, dict[str, Any]] = {}
    statuses: dict[str, dict[str, Any]] = {}
    with (
        eam.client(correlation_id=context.run.run_id, logger=context.log) as eam_client,
        erp.client(correlation_id=context.run.run_id, logger=context.log) as erp_client,
    ):
        procurement = Procurement(erp_client.maintenance)
        for key, request in sorted(pending.items()):
            try:
                status, lines = _follow(eam_client, procurement, rules, store, request)
            except ApiError as err:
                status, lines = "failed", [{"reason": str(err)[:300]}]
            base = {"work_order": request["wonum"], "event_id": request["event_id"], "status": status}
            rows += [{**base, **line} for line in lines] or [base]
            if status in ("requisitioned", "stock_ok", "cancelled"):
                changed[key] = {**request, "done": True, "outcome": status}
            statuses[request["event_id"]] = _event_status(status, request, lines)
        metrics = {
            **api_metadata("erp", erp_client.metrics.snapshot()),
            **api_metadata("eam", eam_client.metrics.snapshot()),
        }
    state.record_requests(store, run_id, changed)
    state.record_statuses(store, run_id, statuses)
    created = sorted({r["requisition"] for r in rows if r.get("requisition")})
    failed = sum(r["status"] == "failed" for r in rows)
    store.finish_run(run_id, "partial" if failed else "succeeded", {"created": len(created), "failed": failed})
    context.log.info(f"{len(pending)} work request(s) followed up, {len(created)} purchase requisition(s)")
    return dg.Output(
        pd.DataFrame(rows, columns=COLUMNS),
        metadata={
            "work_requests_followed": len(pending),
            "purchase_requisitions": len(created),
            "duration_s": round(time.monotonic() - started, 3),
            **metrics,
            "follow_up": rows_table(rows, COLUMNS),
        },
    )


def _follow(eam_client, procurement: Procurement, rules: ConditionRules, store, request: dict) -> tuple[str, list]:
    """(status, one line per planned material) for one work request."""
    site, wonum = request["site"], request["wonum"]
    wo = eam_requests.work_order(eam_client, site, wonum)
    if wo.get("status") in eam_requests.CLOSED:
        return "cancelled", [{"reason": f"work order {wonum} is {wo['status']}"}]
    if wo.get("status") not in APPROVED:
        return "awaiting_approval", [{"reason": f"work order {wonum} is {wo.get('status')}"}]
    link = maintenance_state.links(store, site).get(f"{site}/{wonum}")
    if link is None:
        return "approved", [{"reason": "waiting for maintenance_sync to reserve the parts"}]
    lines, ordered = [], False
    for material in sorted({line["itemnum"] for line in wo.get("wpmaterial") or []}):
        stock, reserved, available = procurement.available(material, rules.storage_location)
        point = rules.reorder_point(material)
        line = {"material": material, "stock": str(stock), "reserved": str(reserved), "reorder_point": str(point)}
        if available < point:
            quantity = point - available + rules.reorder_quantity
            requisition = procurement.create_requisition(
                material, quantity, rules.storage_location, f"COND-{wonum}-{material}", f"Spares for WO {wonum}"
            )
            line.update(requisition=requisition.number, reason=f"available {available} < {point}: ordered {quantity}")
            ordered = True
        else:
            line["reason"] = f"available {available} >= reorder point {point}"
        lines.append(line)
    return ("requisitioned" if ordered else "stock_ok"), [
        {**line, "reservation": link["reservation"]} for line in lines
    ]


def _event_status(status: str, request: dict, lines: list[dict]) -> dict[str, Any]:
    requisitions = ",".join(sorted({line["requisition"] for line in lines if line.get("requisition")}))
    reservation = next((line.get("reservation") for line in lines if line.get("reservation")), None)
    shown = {"requisitioned": "requisitioned", "stock_ok": "reserved"}.get(status, status)
    reason = "; ".join(f"{line['material']}: {line['reason']}" for line in lines if line.get("material"))
    return {
        "status": shown,
        "work_order": request["wonum"],
        "reservation": reservation,
        "requisition": requisitions or None,
        "reason": reason or (lines[0].get("reason") if lines else ""),
    }
