"""Software-defined assets of mfg-sync, one module per flow or system. Definitions collects these lists."""

from assets.erp_apply import erp_boms, erp_materials
from assets.erp_plans import erp_bom_plan, erp_material_plan
from assets.plm_extract import bom_structure, plm_released_bom
from assets.reconciliation import bom_reconciliation
from assets.sync_statistics import sync_statistics
from assets.validation_checks import VALIDATION_CHECKS

ASSETS = [plm_released_bom, erp_material_plan, erp_bom_plan, erp_materials, erp_boms, bom_reconciliation,
          sync_statistics]
# standalone @asset_check definitions (checks yielded by the assets above are declared on them)
ASSET_CHECKS: list = [bom_structure, *VALIDATION_CHECKS]
