"""The one Definitions object of mfg-sync, wired from the environment. Each room lists what it contributes.

Connection facts and secrets are `dg.EnvVar`s, resolved when a run starts (a missing one fails it, named),
never shown in the UI. Tuning knobs and data rules are read here, once, into the resources' fields. Under
MFG_SYNC_PROFILE=sandbox the sandbox fills unset connection variables first; otherwise nothing does.
"""

import os

import dagster as dg

import assets
import schedules
import sensors
from orchestration.io_manager import ParquetTableIOManager
from orchestration.spec_resources import spec_resources
from resources.alerts import AlertResource
from resources.eam import EAMResource
from resources.env_tuning import tuning_from_env
from resources.erp import ERPResource
from resources.mes import MESResource
from resources.plm import PLMResource
from resources.sandbox_profile import apply_sandbox_profile
from resources.settings import storage_dir
from resources.state import SyncStateResource
from resources.validation_rules import ValidationRulesResource

# field of ValidationRulesResource -> (variable, type); unset keeps the field's default
RULE_VARS = {
    "part_number_pattern": ("MFG_SYNC_PART_NUMBER_PATTERN", str),
    "revision_pattern": ("MFG_SYNC_REVISION_PATTERN", str),
    "max_bom_depth": ("MFG_SYNC_MAX_BOM_DEPTH", int),
    "sample_rows": ("MFG_SYNC_VALIDATION_SAMPLE_ROWS", int),
    "reconciliation_severity": ("MFG_SYNC_RECONCILIATION_SEVERITY", str),
}


def plm_resource() -> PLMResource:
    return PLMResource(
        url=dg.EnvVar("MFG_SYNC_PLM_URL"),
        email=dg.EnvVar("MFG_SYNC_PLM_EMAIL"),
        password=dg.EnvVar("MFG_SYNC_PLM_PASSWORD"),
        workspace_id=dg.EnvVar.int("MFG_SYNC_PLM_WORKSPACE_ID"),
        **tuning_from_env("MFG_SYNC_PLM", PLMResource.model_fields),
    )


def erp_resource() -> ERPResource:
    """The auth mode decides which secret is wired: the OAuth client's or the Basic user's."""
    auth_mode = os.environ.get("MFG_SYNC_ERP_AUTH_MODE", "").strip() or "oauth"
    if auth_mode == "basic":
        credentials = {"username": dg.EnvVar("MFG_SYNC_ERP_USERNAME"), "password": dg.EnvVar("MFG_SYNC_ERP_PASSWORD")}
    else:
        credentials = {
            "client_id": dg.EnvVar("MFG_SYNC_ERP_CLIENT_ID"),
            "client_secret": dg.EnvVar("MFG_SYNC_ERP_CLIENT_SECRET"),
        }
    if os.environ.get("MFG_SYNC_ERP_TOKEN_URL", "").strip():
        credentials["token_url"] = dg.EnvVar("MFG_SYNC_ERP_TOKEN_URL")
    return ERPResource(
        url=dg.EnvVar("MFG_SYNC_ERP_URL"),
        auth_mode=auth_mode,
        plant=dg.EnvVar("MFG_SYNC_ERP_PLANT"),
        **credentials,
        **tuning_from_env("MFG_SYNC_ERP", ERPResource.model_fields),
    )


def validation_rules() -> ValidationRulesResource:
    values = {}
    for field, (var, kind) in RULE_VARS.items():
        raw = os.environ.get(var, "").strip()
        if raw:
            try:
                values[field] = kind(raw)
            except ValueError:
                raise ValueError(f"{var}={raw!r} is not a valid {kind.__name__}") from None
    return ValidationRulesResource(**values)


def build_resources() -> dict:
    """Every outside system, the mapping spec and the data rules, from the environment."""
    apply_sandbox_profile()
    return {
        **spec_resources(),
        "plm": plm_resource(),
        "erp": erp_resource(),
        "eam": EAMResource.from_env(),
        "mes": MESResource.from_env(url=dg.EnvVar("MFG_SYNC_MES_URL"), api_key=dg.EnvVar("MFG_SYNC_MES_API_KEY")),
        "validation_rules": validation_rules(),
        "sync_state": SyncStateResource(),
        "alerts": AlertResource.from_env(),
        "io_manager": ParquetTableIOManager(base_dir=str(storage_dir())),
    }


# each room contributes what its modules define; nothing is kept in a hand-made list
defs = dg.Definitions.merge(
    assets.definitions(),
    sensors.definitions(),
    schedules.definitions(),
    dg.Definitions(resources=build_resources()),
)
