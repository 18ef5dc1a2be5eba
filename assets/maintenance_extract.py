"""Incremental extracts of one EAM site: work orders (with their planned materials) and material transactions.

Each object structure reads a delta on its own rowstamp cursor, starting `overlap_rowstamps` below it so a
row committed late with a lower rowstamp is never lost (the plans skip what was done already). A child's
change does not bump its work order's rowstamp, and a removed planned line leaves no row at all, so the work
orders linked to a live reservation are re-read in full every run. The cursor read up to is left pending;
the apply step commits it once everything read was applied.
"""

import dagster as dg

from assets import maintenance_state as state
from assets.keys import (
    EAM_MATERIAL_TRANSACTIONS,
    EAM_WORK_ORDER_MATERIALS,
    EAM_WORK_ORDERS,
    OWNERS,
    maintenance_tags,
)
from assets.maintenance_spec import MaintenanceSpecResource
from assets.metadata import api_metadata
from assets.partitions import sites
from resources.eam import EAMResource
from resources.eam import records as eam_records
from resources.eam.client import TRANSACTIONS, WORK_ORDER, WORK_ORDER_SELECT
from resources.state import SyncStateResource
from sync.flows import MAINTENANCE_FLOW
from sync.frames import records_to_frame
from sync.maintenance_plan import delta_start
from sync.records import MaterialTransaction, WorkOrder, WorkOrderMaterial

LINKED_PER_QUERY = 50  # work order numbers per `wonum in [...]` re-read


@dg.multi_asset(
    outs={
        "eam_work_orders": dg.AssetOut(
            key=EAM_WORK_ORDERS,
            group_name=MAINTENANCE_FLOW,
            kinds={"maximo", "pandas", "parquet"},
            owners=OWNERS,
            tags=maintenance_tags("extract"),
            description="Work orders of the site changed since the last sync, and those with a live reservation.",
        ),
        "eam_work_order_materials": dg.AssetOut(
            key=EAM_WORK_ORDER_MATERIALS,
            group_name=MAINTENANCE_FLOW,
            kinds={"maximo", "pandas", "parquet"},
            owners=OWNERS,
            tags=maintenance_tags("extract"),
            description="The planned material lines (wpmaterial) of those work orders.",
        ),
    },
    partitions_def=sites,
    pool="eam_api",
)
def eam_work_orders(
    context: dg.AssetExecutionContext,
    eam: EAMResource,
    sync_state: SyncStateResource,
    maintenance_spec: MaintenanceSpecResource,
):
    site, store, spec = context.partition_key, sync_state.store(), maintenance_spec.spec()
    committed = state.cursor(store, site, WORK_ORDER)
    linked = sorted(key.split("/", 1)[1] for key, link in state.links(store, site).items() if not link.get("retired"))
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as client:
        delta = client.delta(
            WORK_ORDER,
            delta_start(committed, spec.overlap_rowstamps),
            select=WORK_ORDER_SELECT,
            where=f'siteid="{site}"',
        )
        members = {m["wonum"]: m for m in delta.members}
        missing = [number for number in linked if number not in members]
        for start in range(0, len(missing), LINKED_PER_QUERY):
            numbers = ",".join(f'"{n}"' for n in missing[start : start + LINKED_PER_QUERY])
            for member in client.query(
                WORK_ORDER, select=WORK_ORDER_SELECT, where=f'siteid="{site}" and wonum in [{numbers}]'
            ):
                members[member["wonum"]] = member
        metrics = client.metrics.snapshot()
    work_orders = [eam_records.work_order(m) for m in members.values()]
    lines = [line for m in members.values() for line in eam_records.work_order_materials(m)]
    run_id = state.sync_run(context, sync_state)
    state.set_cursor(store, run_id, site, WORK_ORDER, delta.cursor, pending=True)
    common = {"cursor_from": committed, "cursor_read_up_to": delta.cursor, **api_metadata("eam", metrics)}
    context.log.info(f"{site}: {len(delta.members)} changed work orders, {len(missing)} linked re-read")
    yield dg.Output(
        records_to_frame(work_orders, WorkOrder),
        "eam_work_orders",
        metadata={**common, "work_orders": len(work_orders), "changed": len(delta.members)},
    )
    yield dg.Output(
        records_to_frame(lines, WorkOrderMaterial),
        "eam_work_order_materials",
        metadata={**common, "planned_lines": len(lines)},
    )


@dg.asset(
    key=EAM_MATERIAL_TRANSACTIONS,
    partitions_def=sites,
    group_name=MAINTENANCE_FLOW,
    kinds={"maximo", "pandas", "parquet"},
    owners=OWNERS,
    tags=maintenance_tags("extract"),
    pool="eam_api",
    description="Material issues and returns (matusetrans) of the site since the last sync, with the overlap.",
)
def eam_material_transactions(
    context: dg.AssetExecutionContext,
    eam: EAMResource,
    sync_state: SyncStateResource,
    maintenance_spec: MaintenanceSpecResource,
) -> dg.Output:
    site, store, spec = context.partition_key, sync_state.store(), maintenance_spec.spec()
    committed = state.cursor(store, site, TRANSACTIONS)
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as client:
        delta = client.delta(TRANSACTIONS, delta_start(committed, spec.overlap_rowstamps), where=f'siteid="{site}"')
        metrics = client.metrics.snapshot()
    transactions = [eam_records.material_transaction(m) for m in delta.members]
    state.set_cursor(store, state.sync_run(context, sync_state), site, TRANSACTIONS, delta.cursor, pending=True)
    context.log.info(f"{site}: {len(transactions)} material transactions from rowstamp {committed}")
    return dg.Output(
        records_to_frame(transactions, MaterialTransaction),
        metadata={
            "transactions": len(transactions),
            "cursor_from": committed,
            "cursor_read_up_to": delta.cursor,
            **api_metadata("eam", metrics),
        },
    )
