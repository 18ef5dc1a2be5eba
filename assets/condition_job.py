"""The condition flow's job and its rules file as a Dagster resource: `path`, else `MFG_SYNC_CONDITION_RULES`,
else `mappings/condition_rules.yaml`."""

import os
from pathlib import Path

import dagster as dg

from resources.settings import REPO_ROOT
from sync.condition import ConditionRules, load_rules
from sync.flows import CONDITION_FLOW

CONDITION_RULES_ENV = "MFG_SYNC_CONDITION_RULES"
DEFAULT_CONDITION_RULES = REPO_ROOT / "mappings" / "condition_rules.yaml"
CONDITION_SELECTION = dg.AssetSelection.groups("condition")


class ConditionRulesResource(dg.ConfigurableResource):
    """Debounce window, severities, job plans and reorder points; read on every call, so an edit counts next run."""

    path: str = ""

    def rules(self) -> ConditionRules:
        return load_rules(Path(self.path or os.environ.get(CONDITION_RULES_ENV) or DEFAULT_CONDITION_RULES))


condition_sync = dg.define_asset_job(
    CONDITION_FLOW,
    selection=CONDITION_SELECTION,
    description="Pending condition events -> EAM work requests; approved and reserved ones -> purchase requisitions.",
    executor_def=dg.in_process_executor,
)
