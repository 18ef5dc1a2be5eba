"""`reconciliation/shop_floor`: ERP production orders and confirmations vs MES product orders and recordings,
with the blocking check `shop_floor_systems_agree`. Writes neither system."""

import dagster as dg
import pandas as pd

from assets.keys import OWNERS
from assets.metadata import api_metadata, rows_table
from assets.shop_floor_state import SHOP_FLOOR_FLOW, SHOP_FLOOR_RECONCILIATION, ShopFloorSpecResource, shop_floor_tags
from resources.erp import ERPResource
from resources.erp.sap.production import ProductionServices
from resources.mes import MESResource
from sync.shop_floor_reconcile import KINDS, reconcile_shop_floor

CHECK = "shop_floor_systems_agree"
COLUMNS = ["kind", "order", "erp", "mes"]


@dg.asset(
    key=SHOP_FLOOR_RECONCILIATION,
    group_name=SHOP_FLOOR_FLOW,
    kinds={"sap", "azumuta", "pandas", "parquet"},
    owners=OWNERS,
    tags=shop_floor_tags("reconcile", "erp"),
    check_specs=[dg.AssetCheckSpec(CHECK, asset=SHOP_FLOOR_RECONCILIATION, description="ERP and MES agree.")],
    description="Released ERP orders missing in the MES, quantities and dates that differ, completed orders not "
    "closed, and MES recordings the ERP has no confirmation for.",
)
def shop_floor_reconciliation(
    context: dg.AssetExecutionContext, erp: ERPResource, mes: MESResource, shop_floor_spec: ShopFloorSpecResource
):
    spec = shop_floor_spec.spec()
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        production = ProductionServices(client.api, plant=client.plant)
        orders = production.production_orders()
        references = {c.get("ConfirmationText", "") for c in production.confirmations()}
        erp_metrics = client.metrics.snapshot()
    with mes.client(correlation_id=context.run.run_id, logger=context.log) as mes_client:
        mes_orders = mes_client.product_orders()
        recordings = mes_client.recordings()
        mes_metrics = mes_client.metrics.snapshot()
    differences = reconcile_shop_floor(spec, orders, mes_orders, recordings, references)
    rows = [{"kind": d.kind, "order": d.order, "erp": d.erp, "mes": d.mes} for d in differences]
    counts = {kind: sum(d.kind == kind for d in differences) for kind in KINDS}
    context.log.info(f"shop floor reconciliation: {len(differences)} difference(s) {counts}")
    yield dg.Output(
        pd.DataFrame(rows, columns=COLUMNS),
        metadata={
            "differences": len(differences),
            **counts,
            "table": rows_table(rows, COLUMNS),
            **api_metadata("erp", erp_metrics),
            **api_metadata("mes", mes_metrics),
        },
    )
    yield dg.AssetCheckResult(
        check_name=CHECK,
        asset_key=SHOP_FLOOR_RECONCILIATION,
        passed=not differences,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"differences": len(differences), **counts},
    )
