"""Shop-floor keys, tags, spec resource and what the flow keeps in the state store (no table of its own):

- `mes_product_order` "<number>": the last fields mfg-sync wrote to an MES product order (audit trail);
- `mes_confirmation` "<recording id>": the ERP confirmation of one MES recording, recorded "posting" before
  the post and "posted" (with the confirmation and goods-receipt numbers) after it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg

from resources.settings import REPO_ROOT
from resources.state import StateStore, SyncStateResource
from sync.checksum import checksum
from sync.records import AppliedChange, FailedChange
from sync.shop_floor_spec import ShopFloorSpec, load_shop_floor_spec

SHOP_FLOOR_FLOW = "shop_floor"
ERP_PRODUCTION_ORDERS = dg.AssetKey(["erp", "production_orders"])
MES_PRODUCT_ORDER_PLAN = dg.AssetKey(["mes", "product_order_plan"])
MES_PRODUCT_ORDERS = dg.AssetKey(["mes", "product_orders"])
ERP_CONFIRMATIONS = dg.AssetKey(["erp", "confirmations"])
SHOP_FLOOR_RECONCILIATION = dg.AssetKey(["reconciliation", "shop_floor"])
PRODUCT_ORDER, CONFIRMATION = "mes_product_order", "mes_confirmation"
MES_SOURCE = "mes"
SPEC_ENV = "MFG_SYNC_SHOP_FLOOR_SPEC"
DEFAULT_SPEC = REPO_ROOT / "mappings" / "erp_to_mes.yaml"


def shop_floor_tags(stage: str, system_of_record: str) -> dict[str, str]:
    """The ERP owns production orders; the MES owns what was recorded on the shop floor."""
    return {"mfg-sync/flow": SHOP_FLOOR_FLOW, "mfg-sync/stage": stage, "mfg-sync/system-of-record": system_of_record}


class ShopFloorSpecResource(dg.ConfigurableResource):
    """The ERP -> MES spec analysts edit: `path`, else MFG_SYNC_SHOP_FLOOR_SPEC, else mappings/erp_to_mes.yaml."""

    path: str = ""

    def spec(self) -> ShopFloorSpec:
        return load_shop_floor_spec(Path(self.path or os.environ.get(SPEC_ENV) or DEFAULT_SPEC))


def sync_run(context: dg.AssetExecutionContext, sync_state: SyncStateResource) -> int:
    """The state store's run for this Dagster run (one per run, shared by its apply assets)."""
    store = sync_state.store()
    for run in store.recent_runs(SHOP_FLOOR_FLOW, None, limit=5):
        if run.dagster_run_id == context.run.run_id:
            return run.id
    return store.start_run(SHOP_FLOOR_FLOW, None, context.run.run_id, context.run.run_id)


def record_write(
    store: StateStore, run_id: int, entity: str, key: str, after: dict[str, Any], before: Any, target_key: str
) -> None:
    change = AppliedChange(
        entity, key, "update" if before else "create", before, after, checksum(after), target_key=target_key
    )
    store.record_batch(run_id, SHOP_FLOOR_FLOW, [change], [])


def confirmation_marks(store: StateStore, keys: list[str]) -> dict[str, dict[str, Any]]:
    return {key: dict(r.payload or {}) for key, r in store.stored_records(CONFIRMATION, keys=keys).items()}


def record_confirmation(store: StateStore, run_id: int, recording_id: str, state: str, **facts: Any) -> None:
    before = confirmation_marks(store, [recording_id]).get(recording_id)
    target = facts.get("confirmation") if state == "posted" else None
    record_write(store, run_id, CONFIRMATION, recording_id, {"state": state, **facts}, before, target or recording_id)


def record_failure(
    store: StateStore, run_id: int, entity: str, key: str, code: str | None, message: str, retryable: bool
) -> None:
    failure = FailedChange(
        entity=entity,
        key=key,
        operation="update",
        payload=None,
        error_code=code or "error",
        message=message,
        retryable=retryable,
    )
    store.record_batch(run_id, SHOP_FLOOR_FLOW, [], [failure])
