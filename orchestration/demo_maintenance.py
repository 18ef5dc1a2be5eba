"""The demo's maintenance part: a planner's work order and a storeroom clerk's issues in the sandbox EAM, every
maintenance flow through Dagster, then the maintenance reconciliation, and a short report of what happened.

The sandbox's seeded history (approved orders of spare parts the ERP does not know) stays out: on the first
demo the site goes live at the EAM's current rowstamps. The demo's own work order is created once, so a second
`make demo` finds nothing new and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from assets import maintenance_state as state
from assets.maintenance_spec import MaintenanceSpecResource
from orchestration import bom_runs, maintenance_runs
from resources.eam import EAMResource
from resources.eam.client import TRANSACTIONS, WORK_ORDER
from resources.erp import ERPResource
from resources.state import StateStore
from sync.flows import MAINTENANCE_FLOW

WORK_ORDER_NUMBER = "DEMO-1"
STOREROOM = "CENTRAL"  # ERP plant 1000, storage location 0001 (mappings/eam_to_erp.yaml)
PLANNED = (Decimal(4), Decimal(2), Decimal(1))  # per spare part
ISSUED = ((0, Decimal(3), "ISSUE"), (1, Decimal(2), "ISSUE"), (2, Decimal(1), "ISSUE"), (0, Decimal(1), "RETURN"))


@dataclass
class MaintenanceDemo:
    site: str
    created_work_order: bool = False
    parts: list[str] = field(default_factory=list)
    outcomes: list[maintenance_runs.FlowOutcome] = field(default_factory=list)
    reconciliation: maintenance_runs.MaintenanceReconciliationOutcome | None = None


def go_live(store: StateStore, eam: EAMResource, site: str) -> bool:
    """Start the site's cursors at what the EAM holds now, once (a site synced before keeps its cursors)."""
    if state.cursor(store, site, WORK_ORDER) or state.cursor(store, site, TRANSACTIONS):
        return False
    overlap = MaintenanceSpecResource().spec().overlap_rowstamps
    with eam.client() as client:
        latest = max(
            client.delta(s, 0, select="siteid", where=f'siteid="{site}"').cursor for s in (WORK_ORDER, TRANSACTIONS)
        )
    run_id = store.start_run(MAINTENANCE_FLOW, site, "demo go-live")
    for structure in (WORK_ORDER, TRANSACTIONS):
        state.set_cursor(store, run_id, site, structure, latest + overlap)
    store.finish_run(run_id, "succeeded", {})
    return True


def _spare_parts(count: int) -> list[str]:
    with ERPResource.from_env().client() as erp:
        return sorted({row["Material"] for row in erp.maintenance.read_stock(storage_location="0001")})[:count]


def plan_and_use_parts(eam: EAMResource, site: str) -> tuple[bool, list[str]]:
    """The planner's approved work order on pump P-101 and the clerk's issues and one return, if not done yet."""
    parts = _spare_parts(len(PLANNED))
    with eam.client() as client:
        href = client.href(WORK_ORDER, site, WORK_ORDER_NUMBER)
        if list(client.query(WORK_ORDER, select="wonum", where=f'siteid="{site}" and wonum="{WORK_ORDER_NUMBER}"')):
            return False, parts  # planned and used on an earlier demo
        lines = [
            {"itemnum": part, "itemqty": float(qty), "location": STOREROOM}
            for part, qty in zip(parts, PLANNED, strict=True)
        ]
        client.create(
            WORK_ORDER,
            {
                "wonum": WORK_ORDER_NUMBER,
                "siteid": site,
                "description": "Replace mechanical seal on P-101 (mfg-sync demo)",
                "assetnum": "P-101",
                "costcenter": "CC4100",
                "wpmaterial": lines,
            },
        )
        client.change_status(href, "APPR")
        for n, (index, quantity, kind) in enumerate(ISSUED, start=1):
            move = client.issue_material if kind == "ISSUE" else client.return_material
            move(href, parts[index], STOREROOM, quantity, transaction_id=f"mfgsync-demo-{site}-{n}")
    return True, parts


def run(on_line: Callable[[str], None]) -> MaintenanceDemo:
    """Everything the demo does on the maintenance side, printing each flow's line as it finishes."""
    from orchestration.cli_sync import format_flow_outcome

    eam = EAMResource.from_env()
    with eam.client() as client:
        site = client.siteid or "P1000"
    demo = MaintenanceDemo(site)
    store = StateStore.from_env()
    try:
        if go_live(store, eam, site):
            on_line(f"site {site} goes live: the EAM's history before now is not synced")
    finally:
        store.dispose()
    demo.created_work_order, demo.parts = plan_and_use_parts(eam, site)
    inst = bom_runs.instance()
    demo.outcomes = maintenance_runs.run_maintenance_sync(
        inst, list(maintenance_runs.FLOWS), [site], on_done=lambda o: on_line(format_flow_outcome(o))
    )
    demo.reconciliation = maintenance_runs.run_maintenance_reconciliation(inst, [site])
    return demo


def report_lines(demo: MaintenanceDemo) -> list[str]:
    counts = {o.flow: o.counts for o in demo.outcomes if o.available}
    reserved, posted = counts.get("reservations", {}), counts.get("goods-issues", {})
    lines = []
    if demo.created_work_order:
        lines.append(
            f"  Maintenance: work order {demo.site}/{WORK_ORDER_NUMBER} approved in the EAM with {len(demo.parts)} "
            f"planned spare parts ({', '.join(demo.parts)}); {len(ISSUED) - 1} issues and 1 return by the storeroom."
        )
    lines.append(
        f"  Reserved in the ERP: {reserved.get('created', 0)} reservation(s) created, {reserved.get('updated', 0)} "
        f"updated; goods issues posted: {posted.get('created', 0)}, reversed: {posted.get('reversed', 0)}, "
        f"failed: {posted.get('failed', 0) + reserved.get('failed', 0)}."
    )
    if "stock" in counts or "assets" in counts:
        stock, assets = counts.get("stock", {}), counts.get("assets", {})
        lines.append(
            f"  To the EAM: {stock.get('updated', 0)} storeroom balance(s) counted to the ERP's stock; "
            f"{assets.get('created', 0)} asset(s) created from ERP equipment, {assets.get('updated', 0)} "
            f"updated field by field; failed: {stock.get('failed', 0) + assets.get('failed', 0)}."
        )
    missing = [o.flow for o in demo.outcomes if not o.available]
    if missing:
        lines.append(f"  Not in this deployment yet: {', '.join(missing)}.")
    recon = demo.reconciliation
    if recon is None or not recon.success:
        lines.append(f"  Maintenance reconciliation FAILED: {recon.error if recon else 'not run'}")
    elif recon.differences == 0:
        lines.append(f"  Maintenance reconciliation: EAM and ERP agree (report {recon.report_path}).")
    else:
        areas = ", ".join(f"{area} {n}" for area, n in recon.areas.items() if n)
        lines.append(f"  Maintenance reconciliation: {recon.differences} difference(s) ({areas}); {recon.report_path}")
        if "stock" in missing and recon.areas.get("balance"):
            lines.append("    (EAM balances follow ERP stock once the stock flow, maintenance_stock_sync, runs)")
    return lines
