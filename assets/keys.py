"""Asset keys of the flows, each prefixed by the system whose data it holds, and what tags them.

Jobs, checks and tests name assets through these constants, never through bare strings.
"""

import dagster as dg

from sync.flows import BOM_FLOW, MAINTENANCE_FLOW

PLM_PARTS = dg.AssetKey(["plm", "parts"])
PLM_BOM_LINES = dg.AssetKey(["plm", "bom_lines"])
ERP_MATERIAL_PLAN = dg.AssetKey(["erp", "material_plan"])
ERP_BOM_PLAN = dg.AssetKey(["erp", "bom_plan"])
ERP_MATERIALS = dg.AssetKey(["erp", "materials"])
ERP_BOMS = dg.AssetKey(["erp", "boms"])
BOM_RECONCILIATION = dg.AssetKey(["reconciliation", "bom"])
MAINTENANCE_RECONCILIATION = dg.AssetKey(["reconciliation", "maintenance"])
SYNC_STATISTICS = dg.AssetKey(["monitoring", "sync_statistics"])

STAGE_TAG = "mfg-sync/stage"  # extract | plan | apply: what a job selects
FLOW_TAG = "mfg-sync/flow"
SYSTEM_OF_RECORD_TAG = "mfg-sync/system-of-record"
OWNERS = ["team:manufacturing-it"]  # who answers for the integration's data in the catalog


def bom_tags(stage: str, system_of_record: str = "plm") -> dict[str, str]:
    """Tags of a BOM-sync asset: its flow, stage, and the system that owns the data (PLM for BOMs)."""
    return {FLOW_TAG: BOM_FLOW, STAGE_TAG: stage, SYSTEM_OF_RECORD_TAG: system_of_record}


def ins(**keys: dg.AssetKey) -> dict[str, dg.AssetIn]:
    """Function parameter -> the asset it loads (parameter names stay short, keys carry the system)."""
    return {name: dg.AssetIn(key) for name, key in keys.items()}


# maintenance sync (EAM -> ERP), one partition per EAM site
EAM_WORK_ORDERS = dg.AssetKey(["eam", "work_orders"])
EAM_WORK_ORDER_MATERIALS = dg.AssetKey(["eam", "work_order_materials"])
EAM_MATERIAL_TRANSACTIONS = dg.AssetKey(["eam", "material_transactions"])
ERP_RESERVATION_PLAN = dg.AssetKey(["erp", "reservation_plan"])
ERP_RESERVATIONS = dg.AssetKey(["erp", "reservations"])
ERP_GOODS_ISSUE_PLAN = dg.AssetKey(["erp", "goods_issue_plan"])
ERP_GOODS_ISSUES = dg.AssetKey(["erp", "goods_issues"])
EAM_DAY_TRANSACTIONS = dg.AssetKey(["eam", "material_transactions_by_day"])
ERP_DAY_GOODS_ISSUES = dg.AssetKey(["erp", "goods_issues_by_day"])


def maintenance_tags(stage: str) -> dict[str, str]:
    """Tags of a maintenance-sync asset: the EAM owns work orders and their material movements."""
    return {FLOW_TAG: MAINTENANCE_FLOW, STAGE_TAG: stage, SYSTEM_OF_RECORD_TAG: "eam"}


# ERP stock -> EAM balances and the asset master both ways (one partition per EAM site)
EAM_INVENTORY_BALANCES = dg.AssetKey(["eam", "inventory_balances"])
ERP_STOCK = dg.AssetKey(["erp", "stock"])
EAM_BALANCE_PLAN = dg.AssetKey(["eam", "balance_plan"])
EAM_BALANCES = dg.AssetKey(["eam", "balances"])
ERP_EQUIPMENT = dg.AssetKey(["erp", "equipment"])
EAM_ASSETS = dg.AssetKey(["eam", "assets"])
EAM_ASSET_PLAN = dg.AssetKey(["eam", "asset_plan"])
EAM_ASSETS_SYNC = dg.AssetKey(["eam", "assets_sync"])


def erp_to_eam_tags(flow: str, stage: str, system_of_record: str = "erp") -> dict[str, str]:
    """Tags of a stock or asset-master asset: the ERP owns stock and the financial asset record."""
    return {FLOW_TAG: flow, STAGE_TAG: stage, SYSTEM_OF_RECORD_TAG: system_of_record}
