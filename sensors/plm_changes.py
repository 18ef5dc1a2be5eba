"""`plm_change_sensor`: released PLM change orders (webhook drops) -> one `bom_sync` run per affected assembly.

Each tick reads the drops after its cursor (the last drop id), asks the PLM which released top-level
assemblies sit above the changed items (a changed subassembly affects every assembly using it), registers
assemblies Dagster does not know yet, and requests ONE run per affected assembly however many drops named
it. The run key is derived from the drops' event ids, so a tick that replays the same drops (a crash before
the cursor moved) requests nothing new. Drops are stamped processed once their runs are requested.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

import dagster as dg

from assets.jobs import bom_sync
from assets.partitions import assemblies
from resources.plm import PLMResource
from resources.state import SyncStateResource, WebhookDrop
from resources.state.breaker import breaker_state
from resources.trigger_settings import breaker_threshold
from sync.flows import BOM_FLOW

PLM_SOURCE = "plm"
DROPS_PER_TICK = 500
TRIGGER_TAG = "mfg-sync/trigger"


def changed_items(drop: WebhookDrop) -> list[str]:
    """Item numbers a `change.effective` drop names (its affected items)."""
    data = drop.payload.get("data", {}) if isinstance(drop.payload, dict) else {}
    return [item["number"] for item in data.get("affectedItems", []) if isinstance(item, dict) and item.get("number")]


def run_key(assembly: str, drops: Sequence[WebhookDrop]) -> str:
    """Same drops -> same key: Dagster then skips the repeat request."""
    digest = hashlib.sha256("\n".join(sorted(d.event_id for d in drops)).encode()).hexdigest()[:16]
    return f"plm-change:{assembly}:{digest}"


def plan_runs(drops: Sequence[WebhookDrop], affected: dict[str, set[str]]) -> dict[str, list[WebhookDrop]]:
    """Assembly -> the drops that affect it (several drops for one assembly make one run)."""
    by_assembly: dict[str, list[WebhookDrop]] = defaultdict(list)
    for drop in drops:
        for assembly in sorted(set().union(*(affected.get(n, set()) for n in changed_items(drop)))):
            by_assembly[assembly].append(drop)
    return dict(sorted(by_assembly.items()))


def _run_request(assembly: str, drops: Sequence[WebhookDrop]) -> dg.RunRequest:
    changes = sorted({str(d.payload.get("data", {}).get("number", "?")) for d in drops})
    return dg.RunRequest(
        partition_key=assembly,
        run_key=run_key(assembly, drops),
        tags={TRIGGER_TAG: "plm-webhook", "mfg-sync/changes": ",".join(changes)[:200],
              "mfg-sync/drops": ",".join(str(d.id) for d in drops)[:200]},
    )


@dg.sensor(
    name="plm_change_sensor",
    job=bom_sync,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Released PLM change orders (signed webhook drops) -> bom_sync of every affected assembly.",
)
def plm_change_sensor(context: dg.SensorEvaluationContext, plm: PLMResource,
                      sync_state: SyncStateResource) -> dg.SensorResult | dg.SkipReason:
    store = sync_state.store()
    breaker = breaker_state(store, BOM_FLOW, breaker_threshold())
    if breaker.is_open:
        return dg.SkipReason(breaker.reason())
    cursor = int(context.cursor or 0)
    drops = store.webhook_drops_after(cursor, source=PLM_SOURCE, limit=DROPS_PER_TICK)
    if not drops:
        return dg.SkipReason(f"no PLM webhook drops after drop {cursor}")
    with plm.client(logger=context.log) as client:
        affected = client.tops_by_item((n for d in drops for n in changed_items(d)), context.log)
    runs = plan_runs(drops, affected)
    known = set(context.instance.get_dynamic_partitions(assemblies.name))
    new = [a for a in runs if a not in known]
    store.mark_drops_processed(d.id for d in drops)
    context.log.info(f"{len(drops)} drop(s) {drops[0].id}..{drops[-1].id} -> {len(runs)} run(s): "
                     f"{', '.join(runs) or 'no released assembly affected'}")
    return dg.SensorResult(
        run_requests=[_run_request(a, ds) for a, ds in runs.items()],
        dynamic_partitions_requests=[assemblies.build_add_request(new)] if new else [],
        cursor=str(drops[-1].id),
    )
