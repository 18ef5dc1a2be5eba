"""The resources that hold the files analysts edit (mapping specs, maintenance, stock and asset-master,
shop-floor and condition rules) and the other ERP connections' specs: one list for the code location, the
test harness and the benchmarks, since every asset in the asset set needs its resources bound."""

from __future__ import annotations

from typing import Any

from assets.condition_job import ConditionRulesResource
from assets.erp_to_eam_spec import ErpToEamSpecResource
from assets.maintenance_spec import MaintenanceSpecResource
from assets.shop_floor_state import ShopFloorSpecResource
from orchestration.connection_wiring import connection_resources
from resources.mapping_spec import MappingSpecResource
from resources.settings import mapping_spec_path


def spec_resources() -> dict[str, Any]:
    """Each rule file from its variable or its default path under mappings/, read when a run uses it."""
    return {
        **connection_resources(),
        "mapping_spec": MappingSpecResource(path=str(mapping_spec_path())),
        "maintenance_spec": MaintenanceSpecResource(),
        "erp_to_eam_spec": ErpToEamSpecResource(),
        "shop_floor_spec": ShopFloorSpecResource(),
        "condition_rules": ConditionRulesResource(),
    }
