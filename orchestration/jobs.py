"""Jobs: the BOM sync of one assembly partition, and its dry run."""

import dagster as dg

from orchestration.partitions import assemblies

EXTRACT = dg.AssetSelection.assets("plm_parts", "plm_bom_lines")
PLANS = dg.AssetSelection.assets("erp_material_plan", "erp_bom_plan")
APPLY = dg.AssetSelection.assets("erp_materials", "erp_boms")

bom_sync = dg.define_asset_job(
    "bom_sync",
    selection=EXTRACT | PLANS | APPLY,
    partitions_def=assemblies,
    description="Released PLM BOM of one top-level assembly -> ERP materials and BOMs (deltas only).",
)

bom_plan = dg.define_asset_job(
    "bom_plan",
    selection=EXTRACT | PLANS,
    partitions_def=assemblies,
    description="Dry run of bom_sync: extract and plan, write nothing to the ERP.",
)

JOBS = [bom_sync, bom_plan]
