"""Applying the plans: ERP materials first, then ERP BOMs bottom-up, each verified by reading the ERP back.

Only what the apply wrote is read back: a record the plan left unchanged was compared with a fresh read of
the ERP in this run's plan step, so reading it again would only repeat that call (a no-op run reads nothing).

Failed records become dead letters and the run fails at the end, after everything that could be
written was written: a BOM waits only for the materials it uses.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import dagster as dg
import pandas as pd

from assets.erp_plans import change_orders, read_bom_snapshot
from assets.keys import (
    ERP_BOM_PLAN,
    ERP_BOMS,
    ERP_MATERIAL_PLAN,
    ERP_MATERIALS,
    OWNERS,
    PLM_PARTS,
    bom_tags,
    ins,
)
from assets.metadata import api_metadata, rows_table
from assets.partitions import assemblies
from resources.erp import plan_reads
from resources.erp.interface import ERPConnector, PlanApplier, group_by_bom
from resources.mapping_spec import MappingSpecResource
from resources.state import SyncStateResource
from sync.flows import BOM_FLOW
from sync.frames import plan_from_frame
from sync.keys import header_key_of_item, split_key
from sync.plan import Plan
from sync.spec import MappingSpec

VERIFY_MATERIALS = "materials_match_plan"
VERIFY_BOMS = "boms_match_plan"
RESULT_COLUMNS = ["entity", "key", "op", "status", "error_code", "message"]


def header_of(item) -> str:
    """The BOM header a BOM plan item belongs to."""
    return item.key if item.entity == "bom_header" else header_key_of_item(item.key)


def _revisions(plm_parts: pd.DataFrame) -> dict[str, str]:
    return dict(zip(plm_parts["number"], plm_parts["revision"], strict=True))


@dataclass(frozen=True)
class ErpTarget:
    """The ERP connection an apply writes to: its connector, the state store as it sees it, its flow."""

    erp: ERPConnector
    store: Any  # a StateStore, or a ConnectionStateStore (another connection's records namespaced)
    flow: str = BOM_FLOW


def sync_run(context: dg.AssetExecutionContext, target: ErpTarget) -> int:
    """The state store's run for this Dagster run (one per run, shared by both apply assets)."""
    store = target.store
    for run in store.recent_runs(target.flow, context.partition_key, limit=5):
        if run.dagster_run_id == context.run.run_id and run.status == "started":  # not a check's closed run
            return run.id
    return store.start_run(target.flow, context.partition_key, context.run.run_id, context.run.run_id)


def _verify(spec: MappingSpec, plan: Plan, actual: dict[str, dict[str, dict]], skip: set[str]) -> list[dict]:
    """Differences between what the plan wanted and what the ERP holds now (records that failed excluded;
    fields a conflict rule kept in the ERP compared with the kept value)."""
    mismatches = []
    for item in plan.items:
        if item.op == "delete" or item.key in skip or item.after is None:
            continue
        if item.op == "unchanged" and item.key not in actual.get(item.entity, {}):
            continue  # not read back: the plan compared it with this run's fresh read
        now = actual.get(item.entity, {}).get(item.key)
        got = spec.entities[item.entity].normalise(now) if now is not None else None
        if got is None:
            mismatches.append(
                {"entity": item.entity, "key": item.key, "field": "*", "expected": "present", "actual": "missing"}
            )
            continue
        # a field whose conflict rule kept the ERP's value is expected to hold that value, not the PLM's
        kept = {d.field: d.target_value for d in item.decisions if d.outcome != "source"}
        expected = {name: kept.get(name, value) for name, value in item.after.items()}
        mismatches += [
            {"entity": item.entity, "key": item.key, "field": name, "expected": value, "actual": got.get(name)}
            for name, value in expected.items()
            if got.get(name) != value
        ]
    wanted = {item.key for item in plan.items if item.op != "delete"}
    mismatches += [
        {"entity": "bom_item", "key": key, "field": "*", "expected": "absent", "actual": "present"}
        for key in sorted(set(actual.get("bom_item", {})) - wanted)
    ]
    return mismatches


def _result(
    context,
    writer: PlanApplier,
    plan: Plan,
    mismatches: list[dict],
    check: str,
    asset: str,
    key: dg.AssetKey,
    started: float,
    metrics: dict,
) -> tuple[dg.Output, dg.AssetCheckResult]:
    counts = {**writer.report.counts(), "unchanged": plan.counts()["unchanged"] + writer.report.held()}
    rows = [asdict(r) for r in writer.report.rows]
    failures = [r for r in rows if r["status"] == "failed"]
    metadata = {
        **counts,
        "batch_calls": writer.report.batches,
        "correlation_id": context.run.run_id,
        "duration_s": round(time.monotonic() - started, 3),
        **api_metadata("erp", metrics),
        **({"dead_letters": rows_table(failures, RESULT_COLUMNS)} if failures else {}),
    }
    context.log.info(f"{context.partition_key} {asset}: {counts}, {writer.report.batches} $batch call(s)")
    output = dg.Output(pd.DataFrame(rows, columns=RESULT_COLUMNS), output_name=asset, metadata=metadata)
    verdict = dg.AssetCheckResult(
        check_name=check,
        asset_key=key,
        passed=not mismatches,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "mismatches": len(mismatches),
            **(
                {"differences": rows_table(mismatches, ["entity", "key", "field", "expected", "actual"])}
                if mismatches
                else {}
            ),
        },
    )
    return output, verdict


@dg.multi_asset(
    outs={
        "erp_materials": dg.AssetOut(
            key=ERP_MATERIALS,
            group_name=BOM_FLOW,
            kinds={"sap", "pandas", "parquet"},
            owners=OWNERS,
            tags=bom_tags("apply"),
            description="Materials written to the ERP for this assembly, with each outcome.",
        )
    },
    ins=ins(erp_material_plan=ERP_MATERIAL_PLAN, plm_parts=PLM_PARTS),
    check_specs=[
        dg.AssetCheckSpec(
            VERIFY_MATERIALS,
            asset=ERP_MATERIALS,
            description="Reading the ERP back gives exactly what the plan wanted.",
        )
    ],
    partitions_def=assemblies,
    pool="erp_api",
)
def erp_materials(
    context: dg.AssetExecutionContext,
    erp_material_plan: pd.DataFrame,
    plm_parts: pd.DataFrame,
    erp: dg.ResourceParam[ERPConnector],
    sync_state: SyncStateResource,
    mapping_spec: MappingSpecResource,
):
    target = ErpTarget(erp, sync_state.store())
    yield from apply_materials(context, erp_material_plan, plm_parts, target, mapping_spec.spec())


def apply_materials(context, erp_material_plan, plm_parts, target: ErpTarget, spec: MappingSpec, keys=None):
    """Write the material plan through `target`; `keys` (output name, asset key) of another connection."""
    run_id = sync_run(context, target)
    with _failed_run_on_error(target.store, run_id):
        yield from _apply_materials(context, erp_material_plan, plm_parts, target, spec, run_id, keys)


def _apply_materials(context, erp_material_plan, plm_parts, target: ErpTarget, spec: MappingSpec, run_id, out):
    started = time.monotonic()
    plan, errors = plan_from_frame(erp_material_plan, spec.version)
    with target.erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        writer = client.plan_writer(target.store, run_id, target.flow, spec, _revisions(plm_parts), context.log)
        writer.record_mapping_errors(errors)
        _record_conflicts(target.store, run_id, plan)
        with _leases(context, target, "material", [i.key for i in plan.items if i.op != "unchanged"]):
            writer.apply_materials(plan.items, lambda done, total: context.log.info(f"materials: {done}/{total}"))
        _forget_plan_read_if_written(context, target, writer, plan_reads.MATERIALS)
        keys = [i.key for i in plan.items if i.op not in ("delete", "unchanged")]
        actual = {"material": client.read_materials(keys)} if keys else {}
        metrics = client.metrics.snapshot()
    mismatches = _verify(spec, plan, actual, writer.report.failed_keys("material"))
    output_name, key = out or ("erp_materials", ERP_MATERIALS)
    yield from _result(context, writer, plan, mismatches, VERIFY_MATERIALS, output_name, key, started, metrics)


@dg.multi_asset(
    outs={
        "erp_boms": dg.AssetOut(
            key=ERP_BOMS,
            group_name=BOM_FLOW,
            kinds={"sap", "pandas", "parquet"},
            owners=OWNERS,
            tags=bom_tags("apply"),
            description="BOM levels written to the ERP for this assembly, with each outcome.",
        )
    },
    ins=ins(erp_bom_plan=ERP_BOM_PLAN, erp_materials=ERP_MATERIALS, plm_parts=PLM_PARTS),
    check_specs=[
        dg.AssetCheckSpec(
            VERIFY_BOMS,
            asset=ERP_BOMS,
            description="Reading the released ERP BOMs back gives exactly what the plan wanted.",
        )
    ],
    partitions_def=assemblies,
    pool="erp_api",
)
def erp_boms(
    context: dg.AssetExecutionContext,
    erp_bom_plan: pd.DataFrame,
    erp_materials: pd.DataFrame,
    plm_parts: pd.DataFrame,
    erp: dg.ResourceParam[ERPConnector],
    sync_state: SyncStateResource,
    mapping_spec: MappingSpecResource,
):
    target = ErpTarget(erp, sync_state.store())
    yield from apply_boms(context, erp_bom_plan, erp_materials, plm_parts, target, mapping_spec.spec())


def apply_boms(context, erp_bom_plan, erp_materials, plm_parts, target: ErpTarget, spec: MappingSpec, keys=None):
    """Write the BOM plan through `target` bottom-up; `keys` (output name, asset key) of another connection."""
    run_id = sync_run(context, target)
    with _failed_run_on_error(target.store, run_id):
        yield from _apply_boms(context, erp_bom_plan, erp_materials, plm_parts, target, spec, run_id, keys)


def _apply_boms(context, erp_bom_plan, erp_materials, plm_parts, target: ErpTarget, spec: MappingSpec, run_id, keys):
    started = time.monotonic()
    plan, errors = plan_from_frame(erp_bom_plan, spec.version)
    failed_materials = set(erp_materials.loc[erp_materials["status"] == "failed", "key"])
    with target.erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        writer = client.plan_writer(
            target.store,
            run_id,
            target.flow,
            spec,
            _revisions(plm_parts),
            context.log,
            change_number=context.run.run_id.replace("-", "")[:12],
            change_numbers=change_orders(plm_parts),
        )
        writer.record_mapping_errors(errors)
        _record_conflicts(target.store, run_id, plan)
        levels = _levels_unblocked(writer, plan, failed_materials)
        changed_levels = [h for h, items in levels.items() if any(i.op != "unchanged" for i in items)]
        with _leases(context, target, "bom", changed_levels):
            writer.apply_boms(levels, lambda done, total: context.log.info(f"BOM records: {done}/{total}"))
        _forget_plan_read_if_written(context, target, writer, plan_reads.BOMS)
        headers = sorted({header_of(i) for i in plan.items if i.op != "unchanged"})
        actual = read_bom_snapshot(client, headers)
        metrics = client.metrics.snapshot()
    failed = writer.report.failed_keys("bom_item") | writer.report.failed_keys("bom_header")
    mismatches = _verify(spec, plan, actual, failed)
    output_name, key = keys or ("erp_boms", ERP_BOMS)
    output, verdict = _result(context, writer, plan, mismatches, VERIFY_BOMS, output_name, key, started, metrics)
    yield output
    yield verdict
    _finish(context, target.store, run_id, erp_materials, writer, plan)


def _forget_plan_read_if_written(context, target: ErpTarget, writer: PlanApplier, kind: str) -> None:
    """Any write sent (or found held by another run) changes what the ERP holds: the post-sync checks read."""
    if any(row.status != "recorded" for row in writer.report.rows):
        plan_reads.drop(context.run.run_id, context.partition_key, target.flow, kind)


def _leases(context, target: ErpTarget, entity: str, keys: list[str]):
    """Leases on the records this step may write: a run sharing a subassembly with this one waits, then
    finds what it wrote (one ERP write, one audit entry for both runs)."""
    # another ERP connection's records are its own (`tryton/material`): its runs never wait for SAP's
    scoped = target.store.entity(entity) if hasattr(target.store, "entity") else entity
    names = [f"erp/{scoped}/{key}" for key in keys]

    def waiting(held: list[str]) -> None:
        context.log.info(f"waiting for {len(held)} record(s) another run is writing, e.g. {held[0]}")

    return target.store.hold_leases(names, context.run.run_id, on_wait=waiting)


@contextmanager
def _failed_run_on_error(store: Any, run_id: int) -> Iterator[None]:
    """An apply that breaks off (outage past all retries, a bug) still closes its sync run as failed."""
    try:
        yield
    except dg.Failure:
        raise  # _finish already closed the run as partial
    except Exception:
        store.finish_run(run_id, "failed")
        raise


def _levels_unblocked(writer: PlanApplier, plan: Plan, failed_materials: set[str]) -> dict[str, list]:
    """Every BOM level whose materials exist; a level using a failed material is dead-lettered."""
    levels = {}
    for header_key, items in group_by_bom(plan.items).items():
        used = {split_key(header_key)[0]} | {
            i.after["BillOfMaterialComponent"] for i in items if i.entity == "bom_item" and i.after
        }
        blocked = sorted(used & failed_materials)
        if blocked:
            changed = [i for i in items if i.op != "unchanged"]
            writer.record_failed(changed, "BLOCKED_BY_MATERIAL", f"material(s) {', '.join(blocked)} failed", True)
            continue
        levels[header_key] = items
    return levels


def _record_conflicts(store: Any, run_id: int, plan: Plan) -> None:
    from resources.state.conflicts import FieldConflict

    if plan.conflicts:
        store.add_conflicts(
            run_id, [FieldConflict(c.entity, c.key, c.field, c.source_value, c.target_value) for c in plan.conflicts]
        )


def _finish(context, store: Any, run_id: int, erp_materials: pd.DataFrame, writer: PlanApplier, plan: Plan) -> None:
    """Close the sync run; fail the Dagster run when any record failed (after all else was written)."""
    material_failed = int((erp_materials["status"] == "failed").sum())
    counts = writer.report.counts()
    counts["failed"] += material_failed
    counts["unchanged"] = plan.counts()["unchanged"] + writer.report.held()
    status = "succeeded" if counts["failed"] == 0 else "partial"
    store.finish_run(run_id, status, counts)
    if counts["failed"]:
        raise dg.Failure(
            description=f"{context.partition_key}: {counts['failed']} record(s) failed and went to the dead letters",
            metadata={"failed": counts["failed"], "hint": "mfg-sync state dead-letters"},
        )
