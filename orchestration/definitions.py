"""The one Definitions object of mfg-sync: assets, checks, jobs, sensors and resources, wired from the environment."""

import dagster as dg

from assets.erp_apply import erp_boms, erp_materials
from assets.erp_plans import erp_bom_plan, erp_material_plan
from assets.plm_extract import plm_released_bom
from orchestration.io_manager import ParquetTableIOManager
from orchestration.jobs import bom_plan, bom_sync
from orchestration.settings import storage_dir
from resources.erp import ERPResource
from resources.plm import PLMResource
from resources.sync_state import SyncStateResource
from sensors.assembly_discovery import released_assemblies_sensor


def build_resources() -> dict:
    """Every outside system from the environment; defaults point at the local sandbox."""
    return {
        "plm": PLMResource.from_env(),
        "erp": ERPResource.from_env(),
        "sync_state": SyncStateResource(),
        "io_manager": ParquetTableIOManager(base_dir=str(storage_dir())),
    }


defs = dg.Definitions(
    assets=[plm_released_bom, erp_material_plan, erp_bom_plan, erp_materials, erp_boms],
    jobs=[bom_sync, bom_plan],
    sensors=[released_assemblies_sensor],
    resources=build_resources(),
)
