"""Test support for the maintenance sync: the sandboxes (PLM, ERP, EAM) on free ports, the real assets run
through `dagster.materialize`, and the EAM-side actions a planner or storeroom clerk takes, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from assets import assets_and_checks
from assets import maintenance_state as state
from assets.erp_to_eam_spec import DEFAULT_ERP_TO_EAM_SPEC, ErpToEamSpecResource
from assets.jobs import MAINTENANCE_SYNC_SELECTION
from assets.maintenance_spec import DEFAULT_MAINTENANCE_SPEC, MaintenanceSpecResource
from assets.partitions import sites
from resources.eam.client import TRANSACTIONS, WORK_ORDER, WORK_ORDER_SELECT, EAMClient
from sync.records import MaterialTransaction, Reservation
from tests.sync_harness import SyncHarness, sync_harness

SITE = "P1000"
TEST_OVERLAP = 3  # rowstamps; the shipped spec's window is wider than everything a test writes
STOREROOM = "CENTRAL"  # = ERP plant 1000, storage location 0001 (mappings/eam_to_erp.yaml)


@dataclass
class MaintenanceHarness:
    systems: SyncHarness
    spec: MaintenanceSpecResource
    erp_to_eam_spec: ErpToEamSpecResource
    _numbers: int = 0
    _transactions: int = 0

    def eam_client(self) -> EAMClient:
        return self.systems.resources()["eam"].client()

    def resources(self) -> dict[str, Any]:
        """The BOM sync's resources (the asset set holds both flows) and the EAM."""
        return {**self.systems.resources(), "maintenance_spec": self.spec, "erp_to_eam_spec": self.erp_to_eam_spec}

    def sync(self) -> dg.ExecuteInProcessResult:
        """Materialize the `maintenance_sync` job's assets for the site."""
        self.systems.instance.add_dynamic_partitions(sites.name, [SITE])
        return dg.materialize(
            assets_and_checks(),
            selection=MAINTENANCE_SYNC_SELECTION,
            partition_key=SITE,
            instance=self.systems.instance,
            resources=self.resources(),
            raise_on_error=False,
        )

    def go_live_now(self) -> None:
        """Start both cursors one overlap window above what the EAM holds today: the seeded history (approved
        orders of spare parts the ERP does not know) is not synced, and every row written from now on is."""
        store = self.systems.state().store()
        run_id = store.start_run(state.MAINTENANCE_FLOW, SITE, "go-live")
        with self.eam_client() as client:
            latest = max(client.delta(structure, 0, select="siteid").cursor for structure in (WORK_ORDER, TRANSACTIONS))
        for structure in (WORK_ORDER, TRANSACTIONS):
            state.set_cursor(store, run_id, SITE, structure, latest + self.spec.spec().overlap_rowstamps)

    # --- the EAM side -----------------------------------------------------------------------------------------
    def new_work_order(self, quantities: dict[str, Decimal], status: str = "APPR", priority: int | None = None) -> str:
        """A corrective work order on pump P-101 planning `item -> quantity` from CENTRAL, moved to `status`
        (priority: Maximo's wopriority, 1 = most urgent; the EAM's default when None)."""
        self._numbers += 1
        number = f"T-{self._numbers:03d}"
        lines = [{"itemnum": item, "itemqty": float(qty), "location": STOREROOM} for item, qty in quantities.items()]
        with self.eam_client() as client:
            client.create(
                WORK_ORDER,
                {
                    "wonum": number,
                    "siteid": SITE,
                    "description": "Replace seal",
                    "assetnum": "P-101",
                    "costcenter": "CC4100",
                    "wpmaterial": lines,
                    **({"wopriority": priority} if priority is not None else {}),
                },
            )
            if status != "WAPPR":
                client.change_status(client.href(WORK_ORDER, SITE, number), status)
        return number

    def transactions(self, number: str) -> list[MaterialTransaction]:
        with self.eam_client() as client:
            found, _ = client.material_transactions(0)
        return [t for t in found if t.work_order == number]

    def cursor(self, structure: str) -> int:
        return state.cursor(self.systems.state().store(), SITE, structure)

    def planned_lines(self, number: str) -> list[dict[str, Any]]:
        with self.eam_client() as client:
            return client.get(client.href(WORK_ORDER, SITE, number), select=WORK_ORDER_SELECT)["wpmaterial"]

    def change_planned_quantity(self, number: str, line_id: int, quantity: Decimal) -> None:
        with self.eam_client() as client:
            client.update(
                client.href(WORK_ORDER, SITE, number),
                {"wpmaterial": [{"wpitemid": line_id, "itemqty": float(quantity)}]},
            )

    def remove_planned_line(self, number: str, line_id: int) -> None:
        keep = [{"wpitemid": line["wpitemid"]} for line in self.planned_lines(number) if line["wpitemid"] != line_id]
        with self.eam_client() as client:
            client.update(client.href(WORK_ORDER, SITE, number), {"wpmaterial": keep}, merge=False)

    def cancel(self, number: str) -> None:
        with self.eam_client() as client:
            client.change_status(client.href(WORK_ORDER, SITE, number), "CAN")

    def issue(self, number: str, item: str, quantity: Decimal, kind: str = "ISSUE") -> None:
        """One ISSUE (or RETURN) by the storeroom clerk; each its own Maximo transaction."""
        self._transactions += 1
        with self.eam_client() as client:
            move = client.issue_material if kind == "ISSUE" else client.return_material
            move(
                client.href(WORK_ORDER, SITE, number),
                item,
                STOREROOM,
                quantity,
                transaction_id=f"clerk-{self._transactions}",
            )

    # --- the ERP side -------------------------------------------------------------------------------------------
    def link(self, number: str) -> dict[str, Any] | None:
        return state.links(self.systems.state().store(), SITE).get(f"{SITE}/{number}")

    def postings(self) -> dict[str, dict[str, Any]]:
        """The state store's record of every posting: EAM transaction id -> state, reference, document."""
        return {
            key: dict(r.payload or {}) for key, r in self.systems.state().store().stored_records(state.POSTING).items()
        }

    def reservation(self, number: str) -> Reservation:
        link = self.link(number)
        assert link is not None, f"work order {number} has no reservation link"
        with self.systems.erp().client() as erp:
            return erp.maintenance.read_reservation(link["reservation"])

    def spare_parts(self, count: int) -> list[str]:
        """ERP materials with stock in 1000/0001 that the EAM also stocks in CENTRAL."""
        with self.systems.erp().client() as erp:
            materials = sorted({row["Material"] for row in erp.maintenance.read_stock(storage_location="0001")})
        return materials[:count]

    def stock(self, material: str) -> Decimal:
        with self.systems.erp().client() as erp:
            [row] = erp.maintenance.read_stock([material], storage_location="0001")
        return row["quantity"]

    def erp_writes(self) -> int:
        return self.systems.stats("erp")["writes"]

    def erp_calls(self, method: str, path: str) -> int:
        """Calls of `method` to `path` or to any entity under it (keys of one entity included)."""
        return sum(n for call, n in self.systems.stats("erp")["calls"].items() if call.startswith(f"{method} {path}"))


@contextmanager
def maintenance_harness(tmp_path: Path, overlap_rowstamps: int = TEST_OVERLAP) -> Iterator[MaintenanceHarness]:
    """The shipped spec with a small overlap window, so the few rows a test writes move the cursors past it."""
    spec = yaml.safe_load(DEFAULT_MAINTENANCE_SPEC.read_text(encoding="utf-8"))
    spec["extract"]["overlap_rowstamps"] = overlap_rowstamps
    path = tmp_path / "eam_to_erp.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    reverse = yaml.safe_load(DEFAULT_ERP_TO_EAM_SPEC.read_text(encoding="utf-8"))
    reverse["asset_master"]["overlap_rowstamps"] = overlap_rowstamps
    reverse_path = tmp_path / "erp_to_eam.yaml"
    reverse_path.write_text(yaml.safe_dump(reverse), encoding="utf-8")
    with sync_harness(tmp_path) as systems:
        specs = MaintenanceSpecResource(path=str(path)), ErpToEamSpecResource(path=str(reverse_path))
        harness = MaintenanceHarness(systems, *specs)
        harness.go_live_now()
        yield harness
