"""Bench support: the real BOM-sync assets materialized per assembly, with the `bom_sync` job's selection
(its assets and their checks; other flows' assets, such as reconciliation, are left out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets import assets_and_checks
from assets.jobs import bom_sync
from assets.keys import ERP_BOMS, ERP_MATERIALS
from assets.partitions import assemblies
from orchestration.io_manager import ParquetTableIOManager
from orchestration.spec_resources import spec_resources
from resources.alerts import AlertResource
from resources.eam import EAMResource
from resources.erp import ERPResource
from resources.mes import MESResource
from resources.plm import PLMResource
from resources.state import SyncStateResource
from resources.validation_rules import ValidationRulesResource

APPLY_ASSETS = (ERP_MATERIALS.to_user_string(), ERP_BOMS.to_user_string())
COUNT_NAMES = ("created", "updated", "deleted", "unchanged", "failed")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # a bench prints figures, not events


@dataclass
class RealSyncRunner:
    """Materializes every BOM-sync asset and check for one assembly partition per call."""

    plm_url: str
    erp_url: str
    work_dir: Path
    plm_requests_per_s: int = 200  # client-side pacing; the sandbox enforces no limit here
    erp_requests_per_s: int | None = 15  # ERPResource's default (the gateway allows 1200/min)
    instance: dg.DagsterInstance = field(default_factory=dg.DagsterInstance.ephemeral)

    def resources(self) -> dict[str, object]:
        return {
            **spec_resources(),  # every asset of the asset set needs its resources, though a BOM run uses few
            "plm": PLMResource(url=self.plm_url, rate_limit_requests=self.plm_requests_per_s),
            "erp": ERPResource(url=self.erp_url, rate_limit_requests=self.erp_requests_per_s),
            "sync_state": SyncStateResource(url=f"sqlite:///{self.work_dir / 'state.db'}"),
            "validation_rules": ValidationRulesResource(),
            "io_manager": ParquetTableIOManager(base_dir=str(self.work_dir / "tables")),
            # the maintenance flow's assets are in the asset set too; a BOM run never calls the EAM
            "eam": EAMResource(),
            "alerts": AlertResource(),
            "mes": MESResource(),  # the shop-floor assets share the asset set too; a BOM run never calls it
        }

    def sync(self, numbers: list[str]) -> dict[str, int]:
        """Sync each assembly in turn; returns the apply counts summed. Raises if a run fails."""
        self.instance.add_dynamic_partitions(assemblies.name, numbers)
        totals = dict.fromkeys(COUNT_NAMES, 0)
        for number in numbers:
            result = dg.materialize(
                assets_and_checks(),
                selection=bom_sync.selection,
                partition_key=number,
                instance=self.instance,
                resources=self.resources(),
                run_config=QUIET,
                raise_on_error=False,
            )
            if not result.success:
                raise RuntimeError(f"the real sync of {number} failed (run {result.run_id})")
            for name, value in apply_counts(result).items():
                totals[name] += value
        return totals

    def close(self) -> None:
        self.instance.dispose()


def apply_counts(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """created/updated/deleted/unchanged/failed summed over the two apply assets' metadata."""
    totals = dict.fromkeys(COUNT_NAMES, 0)
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key.to_user_string() not in APPLY_ASSETS:
            continue
        for name in COUNT_NAMES:
            entry = materialization.metadata.get(name)
            if entry is not None:
                totals[name] += int(entry.value)
    return totals
