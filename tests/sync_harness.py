"""Test support: the sandbox systems on free ports, and the real BOM-sync assets materialized against them.

Runs go through `dagster.materialize` with explicitly built resources (a temp state store and Parquet
directory), so each test is isolated and nothing depends on the process environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import httpx

from assets import assets_and_checks
from assets.jobs import BOM_SYNC_SELECTION
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
from sandbox.launcher import RunningSandbox, running_sandbox

# Fast, still-real policies: few attempts and short backoffs so failure tests finish quickly.
FAST_RETRY = {"max_attempts": 3, "backoff_initial_s": 0.05, "backoff_max_s": 0.2, "total_budget_s": 5.0}


@dataclass
class SyncHarness:
    sandbox: RunningSandbox
    tmp: Path
    instance: dg.DagsterInstance

    # --- the systems -------------------------------------------------------------------------------------
    def url(self, system: str) -> str:
        return self.sandbox.base_url(system)

    def stats(self, system: str) -> dict[str, Any]:
        return httpx.get(f"{self.url(system)}/_sandbox/stats").json()

    def reset_stats(self, *systems: str) -> None:
        for system in systems or ("plm", "erp"):
            httpx.post(f"{self.url(system)}/_sandbox/stats/reset").raise_for_status()

    def faults(self, system: str, **faults: Any) -> None:
        if faults:
            httpx.put(f"{self.url(system)}/_sandbox/faults", json=faults).raise_for_status()
        else:
            httpx.delete(f"{self.url(system)}/_sandbox/faults").raise_for_status()

    def plm(self, **overrides: Any) -> PLMResource:
        return PLMResource(url=self.url("plm"), rate_limit_requests=200, **{**FAST_RETRY, **overrides})

    def erp(self, **overrides: Any) -> ERPResource:
        return ERPResource(url=self.url("erp"), token_leeway_s=0, **{**FAST_RETRY, **overrides})

    def state(self) -> SyncStateResource:
        return SyncStateResource(url=f"sqlite:///{self.tmp / 'state.db'}")

    def resources(self, **erp_overrides: Any) -> dict[str, Any]:
        return {
            **spec_resources(),  # every asset of the asset set `dg.materialize` is given needs its resources
            "plm": self.plm(),
            "erp": self.erp(**erp_overrides),
            "sync_state": self.state(),
            "validation_rules": ValidationRulesResource(),
            "io_manager": ParquetTableIOManager(base_dir=str(self.tmp / "tables")),
            "eam": EAMResource(url=self.url("eam"), rate_limit_requests=200, **FAST_RETRY),
            "mes": MESResource(url=self.url("mes"), **FAST_RETRY),
            "alerts": AlertResource(),
        }

    # --- running the sync ------------------------------------------------------------------------------------
    def sync(
        self, number: str, selection: Any = None, tags: dict[str, str] | None = None, **erp_overrides: Any
    ) -> dg.ExecuteInProcessResult:
        """Materialize the `bom_sync` job's assets and checks (or `selection`) for one assembly partition."""
        self.instance.add_dynamic_partitions(assemblies.name, [number])
        return dg.materialize(
            assets_and_checks(),
            selection=selection or BOM_SYNC_SELECTION,
            partition_key=number,
            instance=self.instance,
            resources=self.resources(**erp_overrides),
            raise_on_error=False,
            tags=tags,
        )

    # --- the PLM side of a change -----------------------------------------------------------------------------
    def release_bom_change(self, assembly: str, quantities: dict[int, Decimal]) -> str:
        """Edit lines of `assembly`'s BOM (find number -> new quantity) on a change order and release it."""
        with httpx.Client(base_url=f"{self.url('plm')}/v1") as http:
            session = http.post(
                "/login", json={"email": "engineer@sandbox.example", "password": "sandbox", "workspaceId": 100001}
            ).json()["arenaSessionId"]
            http.headers["arena_session_id"] = session
            item = http.get("/items", params={"number": assembly}).json()["results"][0]
            change = http.post(
                "/changes",
                json={"title": f"re-quantify {assembly}", "items": [{"affectedItemRevision": {"guid": item["guid"]}}]},
            )
            change.raise_for_status()
            working = http.get(f"/items/{item['guid']}/bom", params={"revisionStatus": "WORKING"}).json()["results"]
            owner = _working_owner_guid(http, item["guid"])
            for line in working:
                if line["lineNumber"] in quantities:
                    body = {
                        "item": {"guid": line["item"]["guid"]},
                        "quantity": float(quantities[line["lineNumber"]]),
                        "lineNumber": line["lineNumber"],
                    }
                    http.put(f"/items/{owner}/bom/{line['guid']}", json=body).raise_for_status()
            http.post(
                "/changes/statuschanges", json={"change": {"guid": change.json()["guid"]}, "status": "EFFECTIVE"}
            ).raise_for_status()
            return change.json()["number"]


def _working_owner_guid(http: httpx.Client, item_guid: str) -> str:
    """The guid that addresses the item's working revision for BOM writes."""
    revisions = http.get(f"/items/{item_guid}/revisions").json()["results"]
    working = [r for r in revisions if r.get("status") == 0]
    return working[0]["guid"] if working else item_guid


@contextmanager
def sync_harness(
    tmp_path: Path, plm_overrides: dict | None = None, erp_overrides: dict | None = None
) -> Iterator[SyncHarness]:
    overrides = {
        "plm": {"rate_limit": None, **(plm_overrides or {})},
        "erp": {"rate_limit": None, **(erp_overrides or {})},
    }
    with running_sandbox(None, overrides=overrides) as sandbox:
        instance = dg.DagsterInstance.ephemeral()
        try:
            yield SyncHarness(sandbox, tmp_path, instance)
        finally:
            instance.dispose()
