"""Test support for the ERP -> EAM flows: run `maintenance_stock_sync` or `asset_master_sync` through
`dagster.materialize` against the sandboxes, and read both sides over real HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import dagster as dg

from assets import assets_and_checks
from assets.erp_to_eam_jobs import ASSET_MASTER_SELECTION, STOCK_SYNC_SELECTION
from assets.partitions import sites
from resources.eam.client import ASSET
from tests.maintenance.maintenance_harness import SITE, MaintenanceHarness

STOREROOMS = {"CENTRAL": "0001", "MAINT": "0002"}  # mappings/erp_to_eam.yaml, plant 1000


def run(maint: MaintenanceHarness, selection: dg.AssetSelection) -> dg.ExecuteInProcessResult:
    maint.systems.instance.add_dynamic_partitions(sites.name, [SITE])
    return dg.materialize(
        assets_and_checks(),
        selection=selection,
        partition_key=SITE,
        instance=maint.systems.instance,
        resources=maint.resources(),
        raise_on_error=False,
    )


def stock_sync(maint: MaintenanceHarness) -> dg.ExecuteInProcessResult:
    return run(maint, STOCK_SYNC_SELECTION)


def asset_master_sync(maint: MaintenanceHarness) -> dg.ExecuteInProcessResult:
    return run(maint, ASSET_MASTER_SELECTION)


def eam_balances(maint: MaintenanceHarness) -> dict[tuple[str, str], Decimal]:
    with maint.eam_client() as client:
        return {(b.storeroom, b.item): b.current_balance for b in client.inventory_balances(f'siteid="{SITE}"')}


def erp_stock(maint: MaintenanceHarness) -> dict[tuple[str, str], Decimal]:
    found = {}
    with maint.systems.erp().client() as erp:
        for room, location in STOREROOMS.items():
            for row in erp.maintenance.read_stock(storage_location=location):
                found[(room, row["Material"])] = row["quantity"]
    return found


def writes(maint: MaintenanceHarness) -> dict[str, int]:
    return {system: maint.systems.stats(system)["writes"] for system in ("eam", "erp")}


def eam_assets(maint: MaintenanceHarness, equipment: str) -> list[dict[str, Any]]:
    with maint.eam_client() as client:
        return list(client.query(ASSET, where=f'siteid="{SITE}" and externalrefid="{equipment}"'))


def assets_read(result: dg.ExecuteInProcessResult) -> set[str]:
    """The EAM asset numbers the run's `eam/assets` extract read."""
    return set(result.output_for_node("eam__assets")["asset"])


def update_eam_asset(maint: MaintenanceHarness, asset: str, **fields: Any) -> None:
    with maint.eam_client() as client:
        client.update(client.href(ASSET, asset, SITE), fields)


def equipment(maint: MaintenanceHarness, number: str) -> dict[str, Any]:
    with maint.systems.erp().client() as erp:
        return erp.maintenance.read_equipment(number)


def update_equipment(maint: MaintenanceHarness, number: str, **fields: Any) -> None:
    with maint.systems.erp().client() as erp:
        erp.maintenance.update_equipment(number, fields, erp.maintenance.read_equipment(number)["_etag"])


_commissioned = iter(range(20000001, 20001000))


def commission(maint: MaintenanceHarness, name: str, **fields: Any) -> str:
    """New ERP equipment of plant 1000, as maintenance planning creates it at commissioning. Numbered from
    20000001: the seeded EAM assets name equipment 10000001-10000006 the ERP seed only partly has."""
    with maint.systems.erp().client() as erp:
        created = erp.maintenance.create_equipment(
            {
                "Equipment": str(next(_commissioned)),
                "EquipmentName": name,
                "MaintenancePlant": "1000",
                "MaintenancePlanningPlant": "1000",
                **fields,
            }
        )
    return created["Equipment"]
