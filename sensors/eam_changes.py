"""`eam_change_sensor`: EAM publish-channel events (webhook drops) -> one `maintenance_sync` run per affected site.

A work order status change (approved, cancelled) or a material issue/return names its site; each tick reads
the drops after its cursor, registers sites Dagster does not know yet and requests ONE run per site however
many drops named it. The run key is derived from the drops' event ids, so a tick that replays the same drops
(a crash before the cursor moved) requests nothing new. A drop naming no usable site or work order is
quarantined (status `rejected`, its reason, one alert) and the drops after it still run. An open breaker of
the maintenance flow skips the tick with its reason; the drops wait.
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence

import dagster as dg

from assets.jobs import maintenance_sync
from assets.partitions import sites
from resources.alerts import Alert, AlertResource
from resources.state import SyncStateResource, WebhookDrop
from resources.state.breaker import breaker_state
from resources.trigger_settings import breaker_threshold
from sync.flows import MAINTENANCE_FLOW
from sync.item_numbers import item_number_problem

EAM_SOURCE = "eam"
DROPS_PER_TICK = 500
TRIGGER_TAG = "mfg-sync/trigger"
WORK_ORDER_FIELD = {"workorder.status": "wonum", "matusetrans": "refwo"}


def drop_problem(drop: WebhookDrop) -> str | None:
    """Why a drop cannot become a run (no site or work order that can be looked up), or None when it can."""
    payload = drop.payload if isinstance(drop.payload, dict) else {}
    data = payload.get("data")
    if not isinstance(data, dict):
        return "payload has no data object"
    for name in ("siteid", WORK_ORDER_FIELD.get(drop.event_type, "wonum")):
        problem = item_number_problem(data.get(name))
        if problem:
            return f"field data.{name} {ascii(data.get(name))[:80]} {problem}"
    return None


def site_of(drop: WebhookDrop) -> str:
    return str(drop.payload["data"]["siteid"])


def work_order_of(drop: WebhookDrop) -> str:
    return str(drop.payload["data"][WORK_ORDER_FIELD.get(drop.event_type, "wonum")])


def run_key(site: str, drops: Sequence[WebhookDrop]) -> str:
    """Same drops -> same key: Dagster then skips the repeat request."""
    digest = hashlib.sha256("\n".join(sorted(d.event_id for d in drops)).encode()).hexdigest()[:16]
    return f"eam-change:{site}:{digest}"


def plan_runs(drops: Sequence[WebhookDrop]) -> dict[str, list[WebhookDrop]]:
    """Site -> the drops naming it (several drops for one site make one run)."""
    by_site: dict[str, list[WebhookDrop]] = defaultdict(list)
    for drop in drops:
        by_site[site_of(drop)].append(drop)
    return dict(sorted(by_site.items()))


def _run_request(site: str, drops: Sequence[WebhookDrop]) -> dg.RunRequest:
    return dg.RunRequest(
        partition_key=site,
        run_key=run_key(site, drops),
        tags={
            TRIGGER_TAG: "eam-webhook",
            "mfg-sync/work-orders": ",".join(sorted({work_order_of(d) for d in drops}))[:200],
            "mfg-sync/drops": ",".join(str(d.id) for d in drops)[:200],
        },
    )


@dg.sensor(
    name="eam_change_sensor",
    job=maintenance_sync,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="EAM work order status changes and material transactions (signed drops) -> maintenance_sync per site.",
)
def eam_change_sensor(
    context: dg.SensorEvaluationContext, sync_state: SyncStateResource, alerts: AlertResource
) -> dg.SensorResult | dg.SkipReason:
    store = sync_state.store()
    breaker = breaker_state(store, MAINTENANCE_FLOW, breaker_threshold())
    if breaker.is_open:
        return dg.SkipReason(breaker.reason())
    cursor = int(context.cursor or 0)
    drops = store.webhook_drops_after(cursor, source=EAM_SOURCE, limit=DROPS_PER_TICK)
    if not drops:
        return dg.SkipReason(f"no EAM webhook drops after drop {cursor}")
    poison = [(d, problem) for d in drops if (problem := drop_problem(d))]
    for drop, reason in poison:
        if store.reject_drop(drop.id, reason):  # a replayed tick finds it rejected already: no second alert
            alerts.send(
                Alert(
                    title="EAM webhook drop quarantined",
                    flow=MAINTENANCE_FLOW,
                    partition="",
                    run_id="",
                    error=f"drop {drop.id} (event {drop.event_id}, {drop.event_type}): {reason}",
                    correlation_id=drop.event_id,
                    severity="warning",
                ),
                logger=context.log,
            )
    rejected = {d.id for d, _ in poison}
    valid = [d for d in drops if d.id not in rejected]
    runs = plan_runs(valid)
    known = set(context.instance.get_dynamic_partitions(sites.name))
    new = [s for s in runs if s not in known]
    store.mark_drops_processed(d.id for d in valid)
    context.log.info(
        f"{len(drops)} EAM drop(s) {drops[0].id}..{drops[-1].id} -> {len(runs)} run(s): {', '.join(runs) or '-'}"
        + (f"; {len(poison)} quarantined" if poison else "")
    )
    return dg.SensorResult(
        run_requests=[_run_request(s, ds) for s, ds in runs.items()],
        dynamic_partitions_requests=[sites.build_add_request(new)] if new else [],
        cursor=str(drops[-1].id),
    )
