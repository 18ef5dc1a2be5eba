"""The ERP -> EAM mapping spec as a Dagster resource: `path`, else `MFG_SYNC_ERP_TO_EAM_SPEC`, else
`mappings/erp_to_eam.yaml`."""

import os
from pathlib import Path

import dagster as dg

from resources.settings import REPO_ROOT
from sync.erp_to_eam_spec import ErpToEamSpec, load_erp_to_eam_spec

ERP_TO_EAM_SPEC_ENV = "MFG_SYNC_ERP_TO_EAM_SPEC"
DEFAULT_ERP_TO_EAM_SPEC = REPO_ROOT / "mappings" / "erp_to_eam.yaml"


class ErpToEamSpecResource(dg.ConfigurableResource):
    """Stock and asset master rules analysts edit; read on every call, so an edit counts from the next run."""

    path: str = ""

    def spec(self) -> ErpToEamSpec:
        path = self.path or os.environ.get(ERP_TO_EAM_SPEC_ENV) or DEFAULT_ERP_TO_EAM_SPEC
        return load_erp_to_eam_spec(Path(path))
