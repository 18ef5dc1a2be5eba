"""The one Definitions object of mfg-sync, wired from the environment. Each room lists what it contributes."""

import dagster as dg

from assets import ASSET_CHECKS, ASSETS
from orchestration.io_manager import ParquetTableIOManager
from assets.jobs import JOBS
from orchestration.settings import storage_dir
from resources.alerts import AlertResource
from resources.erp import ERPResource
from resources.plm import PLMResource
from resources.state import SyncStateResource
from schedules import SCHEDULES
from sensors import SENSORS


def build_resources() -> dict:
    """Every outside system from the environment; defaults point at the local sandbox."""
    return {
        "plm": PLMResource.from_env(),
        "erp": ERPResource.from_env(),
        "sync_state": SyncStateResource(),
        "alerts": AlertResource.from_env(),
        "io_manager": ParquetTableIOManager(base_dir=str(storage_dir())),
    }


defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=ASSET_CHECKS,
    jobs=JOBS,
    sensors=SENSORS,
    schedules=SCHEDULES,
    resources=build_resources(),
)
