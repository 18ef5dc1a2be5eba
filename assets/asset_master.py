"""The asset master both ways: ERP equipment -> EAM assets at commissioning, then each field by its owner.

`erp/equipment` and `eam/assets` (assets/asset_master_extract.py) read the plant's equipment and the EAM
assets either side changed since both last agreed; `eam/asset_plan` is the dry run, over those pairs only;
`eam/assets_sync` creates assets (looked up by externalrefid first, created under a transactionid keyed by
the equipment, so a retry does not create twice), writes each owned field to the other side, and records
a field changed on both sides, or on the wrong side under rule `conflict`, for a person.
"""

import json
import time
from dataclasses import asdict

import dagster as dg
import pandas as pd

from assets import erp_to_eam_state as state
from assets import maintenance_state
from assets.asset_master_extract import records_of
from assets.erp_to_eam_jobs import ASSET_MASTER_GROUP
from assets.erp_to_eam_spec import ErpToEamSpecResource
from assets.keys import EAM_ASSET_PLAN, EAM_ASSETS, EAM_ASSETS_SYNC, ERP_EQUIPMENT, OWNERS, erp_to_eam_tags, ins
from assets.metadata import api_metadata, rows_table
from assets.partitions import sites
from resources.eam import EAMResource
from resources.eam.client import ASSET, EAMClient
from resources.erp import ERPResource
from resources.state import FieldConflict, StateStore, SyncStateResource
from resources.transport import ApiError
from sync.asset_master import AssetChange, FieldDifference, changed_in_erp, plan_asset_master
from sync.flows import ASSET_MASTER_FLOW

PLAN_COLUMNS = ["op", "equipment", "asset", "eam_fields", "erp_fields", "conflicts", "baseline", "message"]
RESULT_COLUMNS = ["op", "equipment", "asset", "status", "written", "message"]


def _plan_rows(changes: list[AssetChange]) -> list[dict]:
    rows = []
    for c in changes:
        row = asdict(c)
        for name in ("eam_fields", "erp_fields", "baseline"):
            row[name] = json.dumps(row[name], sort_keys=True, default=str)
        row["conflicts"] = json.dumps([asdict(d) for d in c.conflicts], default=str)
        rows.append(row)
    return rows


def _plan_changes(frame: pd.DataFrame) -> list[AssetChange]:
    return [
        AssetChange(
            r["op"],
            r["equipment"],
            r["asset"],
            json.loads(r["eam_fields"]),
            json.loads(r["erp_fields"]),
            tuple(FieldDifference(**d) for d in json.loads(r["conflicts"])),
            json.loads(r["baseline"]),
            r["message"],
        )
        for r in frame.to_dict(orient="records")
    ]


@dg.asset(
    key=EAM_ASSET_PLAN,
    ins=ins(erp_equipment=ERP_EQUIPMENT, eam_assets=EAM_ASSETS),
    partitions_def=sites,
    group_name=ASSET_MASTER_GROUP,
    kinds={"maximo", "sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=erp_to_eam_tags(ASSET_MASTER_FLOW, "plan"),
    description="Assets to create, owned fields to write to the other side, conflicts for a person (dry run).",
)
def eam_asset_plan(
    context: dg.AssetExecutionContext,
    erp_equipment: pd.DataFrame,
    eam_assets: pd.DataFrame,
    sync_state: SyncStateResource,
    erp_to_eam_spec: ErpToEamSpecResource,
) -> dg.Output:
    site, spec = context.partition_key, erp_to_eam_spec.spec()
    equipment, assets = records_of(erp_equipment), records_of(eam_assets)
    baselines = state.baselines(sync_state.store(), site)
    # the pairs either side changed since both last agreed; the others need nothing and were not read
    in_scope = set(changed_in_erp(spec, equipment, baselines)) | {str(a.get("externalrefid")) for a in assets}
    changes = plan_asset_master(
        spec, site, [e for e in equipment if str(e["Equipment"]) in in_scope], assets, baselines
    )
    counts = {op: sum(c.op == op for c in changes) for op in ("create", "update", "conflict", "baseline")}
    fields = [
        {"equipment": c.equipment, "asset": c.asset, "to_eam": sorted(c.eam_fields), "to_erp": sorted(c.erp_fields)}
        for c in changes
        if c.op != "baseline"
    ]
    context.log.info(f"{site}: asset master plan {counts}")
    return dg.Output(
        pd.DataFrame(_plan_rows(changes), columns=PLAN_COLUMNS),
        metadata={
            **{f"to_{op}": n for op, n in counts.items()},
            **({"plan": rows_table(fields, ["equipment", "asset", "to_eam", "to_erp"])} if fields else {}),
        },
    )


def _create(client: EAMClient, site: str, change: AssetChange) -> str:
    """Create the EAM asset unless one already names the equipment (a retry, or created by hand)."""
    found = list(
        client.query(ASSET, select="assetnum", where=f'siteid="{site}" and externalrefid="{change.equipment}"')
    )
    if found:
        return "found"
    txn = f"mfgsync-asset-create-{site}-{change.equipment}"
    return "already created" if client.create(ASSET, change.eam_fields, transaction_id=txn).duplicate else "created"


def _update_erp(maintenance, change: AssetChange) -> bool:
    """PATCH the ERP fields that still differ, with the etag read just now; False if nothing differed."""
    current = maintenance.read_equipment(change.equipment)
    changes = {k: v for k, v in change.erp_fields.items() if current.get(k) != v}
    if changes:
        maintenance.update_equipment(change.equipment, changes, current["_etag"])
    return bool(changes)


def _settle_conflicts(store: StateStore, site: str, read: set[str], still_open: set[tuple[str, str]]) -> int:
    """Close the open conflicts of the assets read this run that a person has since settled (both systems
    agree again); an asset not read changed on neither side, so its conflict stands."""
    settled = 0
    for conflict in store.open_conflicts("asset"):
        if conflict.key in {f"{site}/{asset}" for asset in read} and (conflict.key, conflict.field) not in still_open:
            store.resolve_conflict(conflict.id, "sides_agree", "mfg-sync")
            settled += 1
    return settled


@dg.asset(
    key=EAM_ASSETS_SYNC,
    ins=ins(eam_asset_plan=EAM_ASSET_PLAN, eam_assets=EAM_ASSETS),
    partitions_def=sites,
    group_name=ASSET_MASTER_GROUP,
    kinds={"maximo", "sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=erp_to_eam_tags(ASSET_MASTER_FLOW, "apply"),
    pool="eam_api",
    description="The asset master plan applied to both systems, each outcome; conflicts go to a person.",
)
def eam_assets_sync(
    context: dg.AssetExecutionContext,
    eam_asset_plan: pd.DataFrame,
    eam_assets: pd.DataFrame,
    eam: EAMResource,
    erp: ERPResource,
    sync_state: SyncStateResource,
) -> dg.Output:
    site, store, started = context.partition_key, sync_state.store(), time.monotonic()
    run_id = state.sync_run(context, sync_state, ASSET_MASTER_FLOW)
    rows, conflicts = [], []
    with (
        eam.client(correlation_id=context.run.run_id, logger=context.log) as client,
        erp.client(correlation_id=context.run.run_id, logger=context.log) as erp_client,
    ):
        for change in _plan_changes(eam_asset_plan):
            row = {"op": change.op, "equipment": change.equipment, "asset": change.asset, "status": "", "written": ""}
            conflicts += [
                FieldConflict("asset", f"{site}/{change.asset}", d.field, d.erp_value, d.eam_value)
                for d in change.conflicts
            ]
            written = []
            try:
                if change.op == "create":
                    row["status"] = _create(client, site, change)
                    written += ["eam"] if row["status"] == "created" else []
                else:
                    if change.erp_fields and _update_erp(erp_client.maintenance, change):
                        written.append("erp")
                    if change.eam_fields:
                        txn = f"mfgsync-asset-{context.run.run_id[:8]}-{site}-{change.asset}"
                        client.update(client.href(ASSET, change.asset, site), change.eam_fields, transaction_id=txn)
                        written.append("eam")
                    row["status"] = "applied" if written else change.op
            except ApiError as err:
                state.record_failure(
                    store, run_id, ASSET_MASTER_FLOW, "asset", f"{site}/{change.equipment}", err.code, str(err),
                    err.retryable, {"eam": change.eam_fields, "erp": change.erp_fields},
                )  # fmt: skip
                rows.append({**row, "status": "failed", "message": str(err)})
                continue
            if change.baseline:
                state.record_baseline(store, run_id, site, change.equipment, change.asset, change.baseline)
            rows.append({**row, "written": ",".join(written), "message": change.message})
        metrics = {
            **api_metadata("eam", client.metrics.snapshot()),
            **api_metadata("erp", erp_client.metrics.snapshot()),
        }
    store.add_conflicts(run_id, conflicts)
    settled_conflicts = _settle_conflicts(store, site, set(eam_assets["asset"]), {(c.key, c.field) for c in conflicts})
    settled = {f"{site}/{r['equipment']}" for r in rows if r["status"] != "failed"}
    store.resolve_dead_letters_for(ASSET_MASTER_FLOW, "asset", settled)  # applied now: earlier failures settled
    failed = sum(r["status"] == "failed" for r in rows)
    counts = {
        "created": sum(r["status"] == "created" for r in rows),
        "updated": sum(r["op"] == "update" and r["status"] == "applied" for r in rows),
        "failed": failed,
    }
    if not failed:  # a failed pair is read again next run: its change stays above the committed cursor
        maintenance_state.commit_cursor(store, run_id, site, ASSET, flow=ASSET_MASTER_FLOW)
    store.finish_run(run_id, "partial" if failed else "succeeded", counts)
    context.log.info(f"{site}: asset master {counts}, {len(conflicts)} conflict(s) for a person")
    return dg.Output(
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        metadata={
            **counts,
            "conflicts": len(conflicts),
            "conflicts_settled": settled_conflicts,
            "duration_s": round(time.monotonic() - started, 3),
            **metrics,
            **({"outcomes": rows_table(rows, RESULT_COLUMNS)} if rows else {}),
        },
    )
