"""`maintenance_reconciliation`: what the EAM holds against a fresh read of the ERP, for every site in scope.

Never writes to either system. Unpartitioned, like the BOM reconciliation: one run covers the sites in scope
(config `sites`; empty = every registered site partition, else the EAM resource's site), so its table
(`reconciliation/maintenance.parquet`) is always the whole picture. Compared (sync/maintenance_reconcile.py):
per work order linked to a reservation, its material transactions vs the ERP goods issues and its planned
lines and used quantities vs the reservation items; per storeroom, EAM balances vs ERP stock; and the asset
master hook. Outputs: that table, an HTML report under `$MFG_SYNC_DATA_DIR/reports/`, counts per kind and
area as float metadata (plotted over time by the UI) and the check `eam_and_erp_agree`.
"""

import time
from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from assets import maintenance_state as state
from assets.erp_to_eam_spec import ErpToEamSpecResource
from assets.keys import MAINTENANCE_RECONCILIATION, OWNERS, maintenance_tags
from assets.maintenance_spec import MaintenanceSpecResource
from assets.metadata import api_metadata, rows_table
from assets.partitions import sites as site_partitions
from resources.eam import EAMResource
from resources.eam import records as eam_records
from resources.eam.client import ASSET, BALANCE, TRANSACTIONS, WORK_ORDER, WORK_ORDER_SELECT
from resources.erp import ERPResource
from resources.settings import reports_dir
from resources.state import SyncStateResource
from resources.transport import NotFoundError
from resources.validation_rules import ValidationRulesResource
from sync.maintenance_reconcile import (
    COLUMNS,
    compare_asset_master,
    compare_balances,
    compare_goods_issues,
    compare_reservations,
    counts_by_area,
    counts_by_kind,
    differences_frame,
    used_quantities,
)
from sync.maintenance_report import write_maintenance_report
from sync.maintenance_spec import MaintenanceSpec
from sync.plan_view import markdown_table, shown_note

CHECK = "eam_and_erp_agree"
WORK_ORDERS_PER_QUERY = 50  # `wonum in [...]` per EAM read
SUMMARY_ROWS = 50


class MaintenanceReconciliationConfig(dg.Config):
    sites: list[str] = []  # EAM sites to reconcile; empty = every registered site, else the EAM's configured one


def _site_scope(context: dg.AssetExecutionContext, config: MaintenanceReconciliationConfig, configured: str):
    if config.sites:
        return sorted(set(config.sites))
    return sorted(context.instance.get_dynamic_partitions(site_partitions.name)) or [configured]


def _read_eam(client, site: str, numbers: list[str]) -> dict:
    where = f'siteid="{site}"'
    planned = []
    for start in range(0, len(numbers), WORK_ORDERS_PER_QUERY):
        chunk = ",".join(f'"{n}"' for n in numbers[start : start + WORK_ORDERS_PER_QUERY])
        for member in client.query(WORK_ORDER, select=WORK_ORDER_SELECT, where=f"{where} and wonum in [{chunk}]"):
            planned += eam_records.work_order_materials(member)
    linked = set(numbers)
    transactions = [
        t
        for t in (eam_records.material_transaction(m) for m in client.delta(TRANSACTIONS, 0, where=where).members)
        if t.work_order in linked
    ]
    balances = [eam_records.inventory_balance(m) for m in client.query(BALANCE, where=where)]
    assets = list(client.query(ASSET, where=where))  # Maximo's own fields: the asset-master spec names them
    return {"planned": planned, "transactions": transactions, "balances": balances, "assets": assets}


def _read_erp(client, spec: MaintenanceSpec, site: str, links: dict, eam: dict) -> dict:
    maintenance = client.maintenance
    reservations = {}
    for link in links.values():
        try:
            reservations[link["reservation"]] = maintenance.read_reservation(link["reservation"])
        except NotFoundError:
            reservations[link["reservation"]] = None
    references = [spec.posting_reference(t.transaction_id) for t in eam["transactions"]]
    stock = [
        row
        for where in sorted({(s.plant, s.storage_location) for s in spec.storerooms.values()})
        for row in maintenance.read_stock(plant=where[0], storage_location=where[1])
    ]
    items = sorted({b.item for b in eam["balances"]} | {str(r["Material"]) for r in stock})
    return {
        "reservations": reservations,
        "postings": maintenance.find_postings(references),
        "stock": stock,
        "materials": set(client.read_materials(items)),
        "equipment": maintenance.equipment_changed_since(None),
    }


def _markdown(frame: pd.DataFrame, by_area: dict[str, int], compared: dict[str, int]) -> str:
    lines = [
        f"**{len(frame)} difference(s)** between EAM and ERP",
        "",
        "| area | differences |",
        "|---|---|",
        *(f"| {area} | {n} |" for area, n in by_area.items()),
        "",
        "Compared: " + ", ".join(f"{n} {what}" for what, n in compared.items()),
    ]
    if len(frame):
        lines += [
            "",
            *markdown_table(frame.head(SUMMARY_ROWS).to_dict("records"), COLUMNS),
            "",
            shown_note(min(len(frame), SUMMARY_ROWS), len(frame), "differences", "`difference_rows` and the report"),
        ]
    return "\n".join(lines)


@dg.asset(
    key=MAINTENANCE_RECONCILIATION,
    group_name="reconciliation",
    kinds={"maximo", "sap", "html"},
    owners=OWNERS,
    tags=maintenance_tags("reconcile"),
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset=MAINTENANCE_RECONCILIATION,
            description="EAM and ERP agree: goods issues, reservations, stock balances and asset master fields.",
        )
    ],
    description="EAM vs ERP per work order (goods issues, reservations) and per storeroom (stock); reads only.",
)
def maintenance_reconciliation(
    context: dg.AssetExecutionContext,
    config: MaintenanceReconciliationConfig,
    eam: EAMResource,
    erp: ERPResource,
    sync_state: SyncStateResource,
    maintenance_spec: MaintenanceSpecResource,
    erp_to_eam_spec: ErpToEamSpecResource,
    validation_rules: ValidationRulesResource,
):
    started, spec, store = time.monotonic(), maintenance_spec.spec(), sync_state.store()
    asset_spec = erp_to_eam_spec.spec()
    differences, compared = [], dict.fromkeys(("work_orders", "transactions", "balances", "assets"), 0)
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as eam_client:
        scope = _site_scope(context, config, eam_client.siteid)
        with erp.client(correlation_id=context.run.run_id, logger=context.log) as erp_client:
            for site in scope:
                links = state.links(store, site)  # the work orders mfg-sync reserved for: the ID map
                numbers = sorted(key.split("/", 1)[1] for key in links)
                held = _read_eam(eam_client, site, numbers)
                booked = _read_erp(erp_client, spec, site, links, held)
                differences += compare_goods_issues(spec, held["transactions"], booked["postings"])
                differences += compare_reservations(
                    site, links, held["planned"], booked["reservations"], used_quantities(held["transactions"])
                )
                differences += compare_balances(spec, site, held["balances"], booked["stock"], booked["materials"])
                differences += compare_asset_master(site, asset_spec, held["assets"], booked["equipment"])
                compared["work_orders"] += len(links)
                compared["transactions"] += len(held["transactions"])
                compared["balances"] += len(held["balances"])
                compared["assets"] += len(held["assets"])
            erp_metrics = erp_client.metrics.snapshot()
        eam_metrics = eam_client.metrics.snapshot()
    frame = differences_frame(differences)
    by_kind, by_area = counts_by_kind(frame), counts_by_area(frame)
    report = write_maintenance_report(
        frame, by_kind, by_area, compared, datetime.now(UTC), context.run.run_id, reports_dir()
    )
    context.log.info(f"maintenance reconciliation of {', '.join(scope)}: {len(frame)} difference(s); {report}")
    yield dg.Output(
        frame,
        metadata={
            "differences": float(len(frame)),  # floats: the UI plots them over time
            **{f"diff_{kind}": float(n) for kind, n in by_kind.items()},
            **{f"area_{area}": float(n) for area, n in by_area.items()},
            **{f"compared_{what}": float(n) for what, n in compared.items()},
            "sites": ", ".join(scope),
            "report_path": dg.MetadataValue.path(str(report)),
            "summary": dg.MetadataValue.md(_markdown(frame, by_area, compared)),
            "difference_rows": rows_table(frame.to_dict("records"), COLUMNS),
            "duration_s": round(time.monotonic() - started, 3),
            **api_metadata("eam", eam_metrics),
            **api_metadata("erp", erp_metrics),
        },
    )
    yield dg.AssetCheckResult(
        check_name=CHECK,
        passed=len(frame) == 0,
        severity=validation_rules.check_severity(),
        metadata={
            "differences": len(frame),
            **{f"diff_{k}": n for k, n in by_kind.items() if n},
            "report_path": dg.MetadataValue.path(str(report)),
        },
    )


maintenance_reconciliation_job = dg.define_asset_job(
    "maintenance_reconciliation",
    selection=dg.AssetSelection.assets(MAINTENANCE_RECONCILIATION),
    description="EAM vs ERP: goods issues, reservations and stock balances per site; writes neither system.",
    executor_def=dg.in_process_executor,
)
