"""The maintenance extracts validated before they are planned (suite `eam_pre_sync`, Great Expectations).

Not blocking: the planner dead-letters each record it cannot map and posts the others (see the suite).
"""

import dagster as dg
import pandas as pd

from assets.keys import EAM_MATERIAL_TRANSACTIONS, EAM_WORK_ORDER_MATERIALS
from assets.maintenance_spec import MaintenanceSpecResource
from assets.partitions import sites
from expectations import eam_pre_sync
from expectations.gx_results import log_verdict, to_check_result

PRE_SYNC = eam_pre_sync.SUITE


@dg.asset_check(
    asset=EAM_WORK_ORDER_MATERIALS,
    name=PRE_SYNC,
    partitions_def=sites,
    description="Planned lines name their item once, with a quantity > 0, from a storeroom the spec maps.",
)
def eam_work_order_materials_pre_sync(
    context: dg.AssetCheckExecutionContext,
    eam_work_order_materials: pd.DataFrame,
    maintenance_spec: MaintenanceSpecResource,
) -> dg.AssetCheckResult:
    storerooms = maintenance_spec.spec().storerooms
    validation = eam_pre_sync.validate_work_order_materials(eam_work_order_materials, storerooms)
    return log_verdict(context, to_check_result([validation]), "EAM planned materials")


@dg.asset_check(
    asset=EAM_MATERIAL_TRANSACTIONS,
    name=PRE_SYNC,
    partitions_def=sites,
    description="Issues and returns appear once, name their work order and item, are signed as their type, "
    "from a storeroom the spec maps.",
)
def eam_material_transactions_pre_sync(
    context: dg.AssetCheckExecutionContext,
    eam_material_transactions: pd.DataFrame,
    maintenance_spec: MaintenanceSpecResource,
) -> dg.AssetCheckResult:
    storerooms = maintenance_spec.spec().storerooms
    validation = eam_pre_sync.validate_material_transactions(eam_material_transactions, storerooms)
    return log_verdict(context, to_check_result([validation]), "EAM material transactions")
