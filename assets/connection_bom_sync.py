"""The BOM sync and reconciliation of every other ERP connection of `mappings/connections.yaml` (e.g. `tryton`).

A job per connection, not one job with a connection dimension: each connection keeps its own assets
(`tryton/material_plan` ... `tryton/boms`, `reconciliation/bom_tryton`), runs, statistics and failures,
so a disabled or broken ERP never shows up as failed partitions of the other, and `bom_sync` (the default
connection, `sap`) stays exactly as it was. The PLM extract (`plm/parts`, `plm/bom_lines`) and the
assembly partitions are shared: the same released BOM goes to every connection.
"""

import dagster as dg
import pandas as pd

from assets.erp_apply import VERIFY_BOMS, VERIFY_MATERIALS, ErpTarget, apply_boms, apply_materials
from assets.erp_plans import plan_entities, read_boms_target, read_materials_target, stored_boms, stored_materials
from assets.jobs import EXTRACT, bom_sync_retry_policy
from assets.keys import OWNERS, PLM_BOM_LINES, PLM_PARTS, bom_tags, ins
from assets.partitions import assemblies
from assets.reconciliation import CHECK, ReconciliationConfig, reconcile
from resources.erp.connections import Connection, load_connections
from resources.erp.tryton.flow import repeated_components
from resources.settings import reports_dir
from sync.frames import frame_to_records
from sync.records import BomLine

CONNECTION_TAG = "mfg-sync/connection"


def connection_keys(name: str) -> dict[str, dg.AssetKey]:
    """Asset keys of a connection's BOM sync, prefixed by the connection (the system holding the data)."""
    return {
        "material_plan": dg.AssetKey([name, "material_plan"]),
        "bom_plan": dg.AssetKey([name, "bom_plan"]),
        "materials": dg.AssetKey([name, "materials"]),
        "boms": dg.AssetKey([name, "boms"]),
        "reconciliation": dg.AssetKey(["reconciliation", f"bom_{name}"]),
    }


def _tags(conn: Connection, stage: str) -> dict[str, str]:
    return {**bom_tags(stage), CONNECTION_TAG: conn.name}


def _resources(conn: Connection) -> set[str]:
    return {conn.resource_key, conn.spec_resource_key, "sync_state"}


def _target(context, conn: Connection) -> ErpTarget:
    store = context.resources.sync_state.connection_store(conn.name, default=False)
    return ErpTarget(getattr(context.resources, conn.resource_key), store, conn.flow)


def _refuse_repeated_components(conn: Connection, plm_bom_lines: pd.DataFrame) -> None:
    """A Tryton BOM line is its component: two PLM lines of one component under one parent would merge, so
    such a BOM stops the plan, naming parent and component, before anything is written."""
    if conn.kind != "tryton":
        return
    repeated = repeated_components(frame_to_records(plm_bom_lines, BomLine))
    if repeated:
        raise dg.Failure(
            description="; ".join(str(error) for error in repeated),
            metadata={"repeated_components": len(repeated)},
        )


def _plan_assets(conn: Connection) -> list:
    keys = connection_keys(conn.name)
    common = dict(
        ins=ins(plm_parts=PLM_PARTS, plm_bom_lines=PLM_BOM_LINES),
        partitions_def=assemblies,
        group_name=conn.flow,
        kinds={conn.kind, "pandas", "parquet"},
        owners=OWNERS,
        tags=_tags(conn, "plan"),
        pool=f"{conn.name}_api",
        required_resource_keys=_resources(conn),
    )

    def plan(context, plm_parts, plm_bom_lines, entities: tuple[str, ...], read_stored, read_target):
        target = _target(context, conn)
        spec = getattr(context.resources, conn.spec_resource_key)
        return plan_entities(
            context,
            plm_parts,
            plm_bom_lines,
            target.erp,
            target.store,
            spec,
            entities,
            read_stored,
            read_target,
            conn.flow,
        )

    @dg.asset(key=keys["material_plan"], description=f"Materials to write to {conn.name} (dry run).", **common)
    def material_plan(context: dg.AssetExecutionContext, plm_parts: pd.DataFrame, plm_bom_lines: pd.DataFrame):
        return plan(context, plm_parts, plm_bom_lines, ("material",), stored_materials, read_materials_target)

    @dg.asset(key=keys["bom_plan"], description=f"BOMs to write to {conn.name}, children first (dry run).", **common)
    def bom_plan(context: dg.AssetExecutionContext, plm_parts: pd.DataFrame, plm_bom_lines: pd.DataFrame):
        _refuse_repeated_components(conn, plm_bom_lines)
        return plan(context, plm_parts, plm_bom_lines, ("bom_header", "bom_item"), stored_boms, read_boms_target)

    return [material_plan, bom_plan]


def _apply_assets(conn: Connection) -> list:
    keys = connection_keys(conn.name)

    def out(key: dg.AssetKey, what: str) -> dg.AssetOut:
        kinds = {conn.kind, "pandas", "parquet"}
        return dg.AssetOut(
            key=key, group_name=conn.flow, kinds=kinds, owners=OWNERS, tags=_tags(conn, "apply"), description=what
        )

    @dg.multi_asset(
        name=f"{conn.name}_materials",
        outs={"materials": out(keys["materials"], f"Materials written to {conn.name}, with each outcome.")},
        ins=ins(material_plan=keys["material_plan"], plm_parts=PLM_PARTS),
        check_specs=[dg.AssetCheckSpec(VERIFY_MATERIALS, asset=keys["materials"], description="Read back = plan.")],
        partitions_def=assemblies,
        pool=f"{conn.name}_api",
        required_resource_keys=_resources(conn),
    )
    def materials(context: dg.AssetExecutionContext, material_plan: pd.DataFrame, plm_parts: pd.DataFrame):
        spec = getattr(context.resources, conn.spec_resource_key).spec()
        target = _target(context, conn)
        yield from apply_materials(
            context, material_plan, plm_parts, target, spec, keys=("materials", keys["materials"])
        )

    @dg.multi_asset(
        name=f"{conn.name}_boms",
        outs={"boms": out(keys["boms"], f"BOM levels written to {conn.name}, with each outcome.")},
        ins=ins(bom_plan=keys["bom_plan"], materials=keys["materials"], plm_parts=PLM_PARTS),
        check_specs=[dg.AssetCheckSpec(VERIFY_BOMS, asset=keys["boms"], description="Read back = plan.")],
        partitions_def=assemblies,
        pool=f"{conn.name}_api",
        required_resource_keys=_resources(conn),
    )
    def boms(context: dg.AssetExecutionContext, bom_plan: pd.DataFrame, materials: pd.DataFrame, plm_parts):
        spec = getattr(context.resources, conn.spec_resource_key).spec()
        target = _target(context, conn)
        yield from apply_boms(context, bom_plan, materials, plm_parts, target, spec, keys=("boms", keys["boms"]))

    return [materials, boms]


def _reconciliation_asset(conn: Connection) -> dg.AssetsDefinition:
    key = connection_keys(conn.name)["reconciliation"]

    @dg.asset(
        key=key,
        group_name=f"reconciliation_{conn.name}",
        kinds={"arena", conn.kind, "html"},
        owners=OWNERS,
        tags=_tags(conn, "reconcile"),
        check_specs=[dg.AssetCheckSpec(CHECK, asset=key, description=f"PLM and {conn.name} agree.")],
        required_resource_keys={"plm", conn.resource_key, conn.spec_resource_key, "validation_rules"},
        description=f"PLM vs {conn.name}, field by field, for every assembly in scope (reads only).",
    )
    def bom_reconciliation_of_connection(context: dg.AssetExecutionContext, config: ReconciliationConfig):
        resources = context.resources
        yield from reconcile(
            context,
            config,
            resources.plm,
            getattr(resources, conn.resource_key),
            getattr(resources, conn.spec_resource_key),
            resources.validation_rules,
            key,
            reports_dir() / conn.name,
        )

    return bom_reconciliation_of_connection


def _jobs(conn: Connection) -> list:
    extract_and_plans = EXTRACT | dg.AssetSelection.groups(conn.flow) & dg.AssetSelection.tag("mfg-sync/stage", "plan")
    return [
        dg.define_asset_job(
            conn.flow,
            selection=EXTRACT | dg.AssetSelection.groups(conn.flow),
            partitions_def=assemblies,
            description=f"Released PLM BOM of one top-level assembly -> {conn.name} products and BOMs (deltas only).",
            op_retry_policy=bom_sync_retry_policy(),
            executor_def=dg.in_process_executor,
        ),
        dg.define_asset_job(
            f"bom_plan_{conn.name}",
            selection=extract_and_plans,
            partitions_def=assemblies,
            description=f"Dry run of {conn.flow}: extract and plan, write nothing to {conn.name}.",
            executor_def=dg.in_process_executor,
        ),
        dg.define_asset_job(
            f"reconciliation_{conn.name}",
            selection=dg.AssetSelection.groups(f"reconciliation_{conn.name}"),
            description=f"PLM vs {conn.name} field by field for all assemblies; writes neither system.",
            executor_def=dg.in_process_executor,
        ),
    ]


OTHER_CONNECTIONS = [c for c in load_connections().values() if not c.is_default]
connection_assets = [
    a for c in OTHER_CONNECTIONS for a in (*_plan_assets(c), *_apply_assets(c), _reconciliation_asset(c))
]
connection_jobs = [job for c in OTHER_CONNECTIONS for job in _jobs(c)]
JOB_OF_FLOW = {job.name: job for job in connection_jobs if job.name in {c.flow for c in OTHER_CONNECTIONS}}
