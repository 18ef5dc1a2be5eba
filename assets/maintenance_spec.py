"""The maintenance mapping spec as a Dagster resource: `path`, else `MFG_SYNC_MAINTENANCE_SPEC`, else
`mappings/eam_to_erp.yaml`."""

import os
from pathlib import Path

import dagster as dg

from resources.settings import REPO_ROOT
from sync.maintenance_spec import MaintenanceSpec, load_maintenance_spec

MAINTENANCE_SPEC_ENV = "MFG_SYNC_MAINTENANCE_SPEC"
DEFAULT_MAINTENANCE_SPEC = REPO_ROOT / "mappings" / "eam_to_erp.yaml"


class MaintenanceSpecResource(dg.ConfigurableResource):
    """The EAM -> ERP spec analysts edit; read on every call (it is small), so an edit counts from the next run."""

    path: str = ""

    def spec(self) -> MaintenanceSpec:
        path = self.path or os.environ.get(MAINTENANCE_SPEC_ENV) or DEFAULT_MAINTENANCE_SPEC
        return load_maintenance_spec(Path(path))
