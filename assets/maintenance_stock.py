"""ERP stock -> EAM balances: the extracts, the plan (a dry run) and the counted adjustments, per EAM site.

`eam/inventory_balances` and `erp/stock` read both sides; `eam/balance_plan` shows what would be adjusted;
`eam/balances` re-reads the EAM right before writing and adjusts each balance to the ERP figure with
Maximo's adjustCurrentBalance (a physical count, under its own transactionid). An EAM issue or return not
posted to the ERP yet is counted in (spec `stock.pending_transactions`), so it is never overwritten.
"""

import json
from dataclasses import asdict
from decimal import Decimal

import dagster as dg
import pandas as pd

from assets import maintenance_state
from assets.erp_to_eam_jobs import STOCK_GROUP
from assets.erp_to_eam_spec import ErpToEamSpecResource
from assets.keys import (
    EAM_INVENTORY_BALANCES,
    ERP_STOCK,
    OWNERS,
    erp_to_eam_tags,
    ins,
)
from assets.maintenance_spec import MaintenanceSpecResource
from assets.metadata import api_metadata
from assets.partitions import sites
from resources.eam import EAMResource
from resources.eam import records as eam_records
from resources.eam.client import ITEM, TRANSACTIONS, EAMClient
from resources.erp import ERPResource
from resources.state import SyncStateResource
from sync.erp_to_eam_spec import ErpToEamSpec
from sync.flows import STOCK_FLOW
from sync.maintenance_plan import delta_start
from sync.records import MaterialTransaction
from sync.stock_balances import BalanceChange, EamBalance, StockFigure

ITEMS_PER_QUERY = 50
NOT_POSTING = -1  # window start when the site's postings flow has no cursor yet
PLAN_COLUMNS = ["storeroom", "item", "op", "eam_balance", "erp_stock", "pending", "target", "bin", "message"]
RESULT_COLUMNS = [*PLAN_COLUMNS, "status"]


def _text(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def balances_frame(balances: list[EamBalance]) -> pd.DataFrame:
    rows = [{k: _text(v) for k, v in asdict(b).items()} for b in balances]
    return pd.DataFrame(rows, columns=["storeroom", "item", "current_balance", "issue_unit", "bin", "bins"])


def frame_balances(frame: pd.DataFrame) -> dict[tuple[str, str], EamBalance]:
    return {
        (r["storeroom"], r["item"]): EamBalance(
            r["storeroom"], r["item"], Decimal(r["current_balance"]), r["issue_unit"], r["bin"], int(r["bins"])
        )
        for r in frame.to_dict(orient="records")
    }


def frame_stock(frame: pd.DataFrame) -> list[StockFigure]:
    return [
        StockFigure(
            r["storeroom"],
            r["item"],
            r["plant"],
            r["storage_location"],
            r["erp_unit"],
            Decimal(r["erp_quantity"]),
            frozenset(json.loads(r["posted_at_read"])),
        )
        for r in frame.to_dict(orient="records")
    ]


def changes_rows(changes: list[BalanceChange]) -> list[dict]:
    return [{k: _text(v) for k, v in asdict(c).items()} for c in changes]


def read_balances(client: EAMClient, spec: ErpToEamSpec, site: str) -> dict[tuple[str, str], EamBalance]:
    """The site's balances in the storerooms the spec maps, with each item's issue unit (one bin each)."""
    rooms = sorted(set(spec.storage_locations(site).values()))
    names = ",".join(f'"{room}"' for room in rooms)
    where = f'siteid="{site}" and location in [{names}]'
    found = client.inventory_balances(where=where) if rooms else []
    items = sorted({b.item for b in found})
    units: dict[str, str] = {}
    for start in range(0, len(items), ITEMS_PER_QUERY):
        numbers = ",".join(f'"{n}"' for n in items[start : start + ITEMS_PER_QUERY])
        for item in client.query(ITEM, select="itemnum,issueunit", where=f"itemnum in [{numbers}]"):
            units[str(item["itemnum"])] = str(item.get("issueunit") or "")
    bins: dict[tuple[str, str], list] = {}
    for b in found:
        bins.setdefault((b.storeroom, b.item), []).append(b)
    return {
        key: EamBalance(key[0], key[1], same[0].current_balance, units.get(key[1], ""), same[0].bin, len(same))
        for key, same in bins.items()
    }


def window_transactions(client: EAMClient, site: str, since: int) -> list[MaterialTransaction]:
    """The site's EAM transactions above `since`, those the postings flow may not have posted yet."""
    if since == NOT_POSTING:
        return []
    delta = client.delta(TRANSACTIONS, since, where=f'siteid="{site}"')
    return [eam_records.material_transaction(m) for m in delta.members]


def posted(sync_state: SyncStateResource, transactions: list[MaterialTransaction]) -> set[int]:
    marks = maintenance_state.postings(sync_state.store(), [str(t.transaction_id) for t in transactions])
    return {int(key) for key, mark in marks.items() if mark.get("state") == "posted"}


def _no_stock(client, items: set[str]) -> list[dict]:
    """Materials the ERP knows but holds none of here: their EAM balance is 0 too (the ERP owns stock)."""
    known = client.read_materials(sorted(items)) if items else {}
    return [{"Material": item, "unit": material.get("BaseUnit", ""), "quantity": 0} for item, material in known.items()]


@dg.asset(
    key=EAM_INVENTORY_BALANCES,
    partitions_def=sites,
    group_name=STOCK_GROUP,
    kinds={"maximo", "pandas", "parquet"},
    owners=OWNERS,
    tags=erp_to_eam_tags(STOCK_FLOW, "extract", "eam"),
    pool="eam_api",
    description="Current balances of the site's mapped storerooms (MXAPIINVBAL), with each item's issue unit.",
)
def eam_inventory_balances(
    context: dg.AssetExecutionContext, eam: EAMResource, erp_to_eam_spec: ErpToEamSpecResource
) -> dg.Output:
    site, spec = context.partition_key, erp_to_eam_spec.spec()
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as client:
        found = read_balances(client, spec, site)
        metrics = client.metrics.snapshot()
    return dg.Output(
        balances_frame(list(found.values())),
        metadata={"balances": len(found), **api_metadata("eam", metrics)},
    )


@dg.asset(
    key=ERP_STOCK,
    ins=ins(eam_inventory_balances=EAM_INVENTORY_BALANCES),
    partitions_def=sites,
    group_name=STOCK_GROUP,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=erp_to_eam_tags(STOCK_FLOW, "extract"),
    pool="erp_api",
    description="ERP unrestricted-use stock per plant and storage location of the items the EAM stocks.",
)
def erp_stock(
    context: dg.AssetExecutionContext,
    eam_inventory_balances: pd.DataFrame,
    eam: EAMResource,
    erp: ERPResource,
    sync_state: SyncStateResource,
    erp_to_eam_spec: ErpToEamSpecResource,
    maintenance_spec: MaintenanceSpecResource,
) -> dg.Output:
    site, spec = context.partition_key, erp_to_eam_spec.spec()
    committed = maintenance_state.cursor(sync_state.store(), site, TRANSACTIONS)
    # no posting cursor: the postings flow is not live for the site, so no EAM transaction is on its way
    since = delta_start(committed, maintenance_spec.spec().overlap_rowstamps) if committed else NOT_POSTING
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as client:
        moves = window_transactions(client, site, since)
    done = posted(sync_state, moves)  # before the stock is read: these are in the figure for sure
    rows = []
    items = sorted(set(eam_inventory_balances["item"]))
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        for (plant, location), room in sorted(spec.storage_locations(site).items()):
            wanted = {b.item for b in frame_balances(eam_inventory_balances).values() if b.storeroom == room}
            found = (
                client.maintenance.read_stock(sorted(wanted), plant=plant, storage_location=location) if wanted else []
            )
            for row in [*found, *_no_stock(client, wanted - {r["Material"] for r in found})]:
                ids = sorted(
                    t.transaction_id
                    for t in moves
                    if (t.storeroom, t.item) == (room, row["Material"]) and t.transaction_id in done
                )
                rows.append(
                    {
                        "storeroom": room,
                        "item": row["Material"],
                        "plant": plant,
                        "storage_location": location,
                        "erp_unit": row["unit"],
                        "erp_quantity": str(row["quantity"]),
                        "posted_at_read": json.dumps(ids),
                        "window_from": since,
                    }
                )
        metrics = client.metrics.snapshot()
    context.log.info(f"{site}: ERP stock of {len(rows)} of {len(items)} EAM items")
    return dg.Output(
        pd.DataFrame(
            rows,
            columns=[
                "storeroom",
                "item",
                "plant",
                "storage_location",
                "erp_unit",
                "erp_quantity",
                "posted_at_read",
                "window_from",
            ],
        ),
        metadata={
            "stock_rows": len(rows),
            "eam_items": len(items),
            "transactions_window_from": since,
            **api_metadata("erp", metrics),
        },
    )
