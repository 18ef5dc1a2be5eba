"""The maintenance mapping spec in force: `MFG_SYNC_MAINTENANCE_SPEC`, default `mappings/eam_to_erp.yaml`."""

import os
from pathlib import Path

from resources.settings import REPO_ROOT
from sync.maintenance_spec import MaintenanceSpec, load_maintenance_spec

MAINTENANCE_SPEC_ENV = "MFG_SYNC_MAINTENANCE_SPEC"
DEFAULT_MAINTENANCE_SPEC = REPO_ROOT / "mappings" / "eam_to_erp.yaml"


def maintenance_spec() -> MaintenanceSpec:
    """Read on every call (it is small): an analyst's edit takes effect in the next run."""
    return load_maintenance_spec(Path(os.environ.get(MAINTENANCE_SPEC_ENV) or DEFAULT_MAINTENANCE_SPEC))
