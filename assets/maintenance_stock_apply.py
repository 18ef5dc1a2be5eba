"""ERP stock -> EAM balances: the plan (a dry run) and the counted adjustments.

The apply re-reads the EAM balances and transactions right before writing and plans again, so an issue
made since the dry run is counted in; each adjustment carries a transactionid of the run, the balance and
its target, so a retry after a lost answer is refused by Maximo instead of applied twice. A re-run plans
nothing, so it writes nothing.
"""

import time

import dagster as dg
import pandas as pd

from assets import erp_to_eam_state as state
from assets.erp_to_eam_spec import ErpToEamSpecResource
from assets.keys import EAM_BALANCE_PLAN, EAM_BALANCES, EAM_INVENTORY_BALANCES, ERP_STOCK, OWNERS, erp_to_eam_tags, ins
from assets.maintenance_stock import (
    NOT_POSTING,
    PLAN_COLUMNS,
    RESULT_COLUMNS,
    STOCK_GROUP,
    changes_rows,
    frame_balances,
    frame_stock,
    posted,
    read_balances,
    window_transactions,
)
from assets.metadata import api_metadata, rows_table
from assets.partitions import sites
from resources.eam import EAMResource
from resources.eam.client import BALANCE
from resources.state import SyncStateResource
from resources.transport import ApiError
from sync.flows import STOCK_FLOW
from sync.stock_balances import BalanceChange, plan_balances

ENTITY = "inventory_balance"


def _window(erp_stock: pd.DataFrame) -> int:
    return int(erp_stock["window_from"].min()) if len(erp_stock) else NOT_POSTING


@dg.asset(
    key=EAM_BALANCE_PLAN,
    ins=ins(eam_inventory_balances=EAM_INVENTORY_BALANCES, erp_stock=ERP_STOCK),
    partitions_def=sites,
    group_name=STOCK_GROUP,
    kinds={"maximo", "pandas", "parquet"},
    owners=OWNERS,
    tags=erp_to_eam_tags(STOCK_FLOW, "plan"),
    pool="eam_api",
    description="EAM balances to adjust to the ERP figure, those skipped and why (dry run).",
)
def eam_balance_plan(
    context: dg.AssetExecutionContext,
    eam_inventory_balances: pd.DataFrame,
    erp_stock: pd.DataFrame,
    eam: EAMResource,
    sync_state: SyncStateResource,
    erp_to_eam_spec: ErpToEamSpecResource,
) -> dg.Output:
    site = context.partition_key
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as client:
        moves = window_transactions(client, site, _window(erp_stock))
    changes = plan_balances(
        erp_to_eam_spec.spec(),
        frame_stock(erp_stock),
        frame_balances(eam_inventory_balances),
        moves,
        posted(sync_state, moves),
    )
    counts = {op: sum(c.op == op for c in changes) for op in ("adjust", "skip", "error")}
    context.log.info(f"{site}: balance plan {counts}")
    rows = changes_rows(changes)
    return dg.Output(
        pd.DataFrame(rows, columns=PLAN_COLUMNS),
        metadata={
            **{f"to_{op}": n for op, n in counts.items()},
            "in_agreement": len(erp_stock) - len(changes),
            **({"plan": rows_table(rows, PLAN_COLUMNS)} if rows else {}),
        },
    )


@dg.asset(
    key=EAM_BALANCES,
    ins=ins(erp_stock=ERP_STOCK, eam_balance_plan=EAM_BALANCE_PLAN),
    partitions_def=sites,
    group_name=STOCK_GROUP,
    kinds={"maximo", "pandas", "parquet"},
    owners=OWNERS,
    tags=erp_to_eam_tags(STOCK_FLOW, "apply"),
    pool="eam_api",
    description="EAM current balances adjusted to the ERP stock (physical counts), each outcome.",
)
def eam_balances(
    context: dg.AssetExecutionContext,
    erp_stock: pd.DataFrame,
    eam_balance_plan: pd.DataFrame,
    eam: EAMResource,
    sync_state: SyncStateResource,
    erp_to_eam_spec: ErpToEamSpecResource,
) -> dg.Output:
    site, spec, store, started = context.partition_key, erp_to_eam_spec.spec(), sync_state.store(), time.monotonic()
    run_id = state.sync_run(context, sync_state, STOCK_FLOW)
    rows, figures, window = [], frame_stock(erp_stock), _window(erp_stock)
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as client:

        def replan() -> list[BalanceChange]:
            # read the EAM now: what changed since the dry run is counted, not overwritten
            moves = window_transactions(client, site, window)
            return plan_balances(spec, figures, read_balances(client, spec, site), moves, posted(sync_state, moves))

        def adjust(change: BalanceChange, attempt: str) -> str:
            href = client.href(BALANCE, change.item, change.storeroom, change.bin, site)
            txn = f"mfgsync-stock-{context.run.run_id[:8]}{attempt}-{site}-{change.key}-{change.target}"
            return (
                "already adjusted"
                if client.adjust_balance(href, change.target, transaction_id=txn[:100]).duplicate
                else "adjusted"
            )

        changes = replan()
        for change, row in zip(changes, changes_rows(changes), strict=True):
            if change.op == "error":
                state.record_failure(store, run_id, STOCK_FLOW, ENTITY, change.key, "STOCK_PLAN", change.message, False)
                rows.append({**row, "status": "failed"})
                continue
            if change.op == "skip":
                rows.append({**row, "status": "skipped"})
                continue
            try:
                rows.append({**row, "status": adjust(change, "")})
            except ApiError as err:
                state.record_failure(store, run_id, STOCK_FLOW, ENTITY, change.key, err.code, str(err), err.retryable)
                rows.append({**row, "status": "failed", "message": str(err)})
        # read back: an issue that landed between the read and a count is in the balance no more; count again
        done = {f"{r['storeroom']}/{r['item']}" for r in rows if r["status"] == "adjusted"}
        differ = [c for c in replan() if c.op == "adjust"] if done else []
        readjusted = 0
        for change in (c for c in differ if c.key in done):
            try:
                readjusted += adjust(change, "r") == "adjusted"
            except ApiError as err:
                state.record_failure(store, run_id, STOCK_FLOW, ENTITY, change.key, err.code, str(err), err.retryable)
        metrics = client.metrics.snapshot()
    failed_keys = {f"{r['storeroom']}/{r['item']}" for r in rows if r["status"] == "failed"}
    store.resolve_dead_letters_for(  # a balance right now settles its earlier failures
        STOCK_FLOW, ENTITY, {f"{f.storeroom}/{f.item}" for f in figures} - failed_keys
    )
    adjusted = sum(r["status"] == "adjusted" for r in rows)
    failed = sum(r["status"] == "failed" for r in rows)
    store.finish_run(run_id, "partial" if failed else "succeeded", {"updated": adjusted, "failed": failed})
    replanned = {(r["storeroom"], r["item"], r["target"]) for r in rows} != {
        (r["storeroom"], r["item"], r["target"]) for r in eam_balance_plan.to_dict(orient="records")
    }
    context.log.info(f"{site}: {adjusted} balance(s) adjusted, {failed} failed")
    return dg.Output(
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        metadata={
            "adjusted": adjusted,
            "skipped": sum(r["status"] == "skipped" for r in rows),
            "failed": failed,
            "differs_from_dry_run": replanned,
            "recounted_after_a_racing_issue": readjusted,
            "differ_after_apply": len(differ) - readjusted,  # changed in the EAM meanwhile: the next run
            "duration_s": round(time.monotonic() - started, 3),
            **api_metadata("eam", metrics),
            **({"balances": rows_table(rows, RESULT_COLUMNS)} if rows else {}),
        },
    )
