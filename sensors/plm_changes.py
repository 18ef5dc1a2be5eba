"""`plm_change_sensor`: released PLM change orders (webhook drops) -> one `bom_sync` run per affected assembly.

Each tick reads the drops after its cursor (the last drop id), asks the PLM which released top-level
assemblies sit above the changed items (a changed subassembly affects every assembly using it), registers
assemblies Dagster does not know yet, and requests ONE run per affected assembly however many drops named
it. The run key is derived from the drops' event ids, so a tick that replays the same drops (a crash before
the cursor moved) requests nothing new. Drops are stamped processed once their runs are requested.

A drop the sensor cannot process (an item number no PLM issues, a shape it does not know, items the PLM
refuses outright) is quarantined: marked `rejected` with its reason in the state store, alerted once, and
passed over, so one poison drop never holds back the drops after it. A PLM that is down is not a reason:
the tick fails and the same drops come again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

import dagster as dg

from assets.jobs import bom_sync
from assets.partitions import assemblies
from resources.alerts import Alert, AlertResource
from resources.erp.connections import DEFAULT_CONNECTION, disabled_reason, load_connections
from resources.plm import PLMClient, PLMResource
from resources.state import StateStore, SyncStateResource, WebhookDrop
from resources.state.breaker import breaker_state
from resources.transport import FatalError
from resources.trigger_settings import breaker_threshold
from sync.flows import BOM_FLOW
from sync.item_numbers import item_number_problem

PLM_SOURCE = "plm"
DROPS_PER_TICK = 500
TRIGGER_TAG = "mfg-sync/trigger"


def changed_items(drop: WebhookDrop) -> list[str]:
    """Item numbers a `change.effective` drop names (its affected items)."""
    data = drop.payload.get("data", {}) if isinstance(drop.payload, dict) else {}
    return [item["number"] for item in data.get("affectedItems", []) if isinstance(item, dict) and item.get("number")]


def drop_problem(drop: WebhookDrop) -> str | None:
    """Why a drop cannot become runs (its shape or one of its item numbers), or None when it can."""
    data = drop.payload.get("data") if isinstance(drop.payload, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("affectedItems"), list):
        return "payload has no data.affectedItems list"
    for position, item in enumerate(data["affectedItems"]):
        number = item.get("number") if isinstance(item, dict) else None
        problem = item_number_problem(number)
        if problem:  # ascii(): a lone surrogate must reach neither the log nor the alert as itself
            return f"item number data.affectedItems[{position}].number {ascii(number)[:80]} {problem}"
    return None


# What a drop's own items can provoke; a retryable error (the PLM is down) is not among them.
POISON_ERRORS = (FatalError, ValueError)


def affected_by_drops(
    client: PLMClient, drops: Sequence[WebhookDrop], log: dg.DagsterLogManager | None = None
) -> tuple[dict[str, set[str]], list[tuple[WebhookDrop, str]]]:
    """Item -> affected assemblies for the drops, and the drops whose items the PLM refused, with why."""
    try:
        return client.tops_by_item((n for d in drops for n in changed_items(d)), log), []
    except POISON_ERRORS:
        pass  # one drop's items spoil the batch: ask drop by drop, so only that drop is refused
    affected: dict[str, set[str]] = {}
    refused: list[tuple[WebhookDrop, str]] = []
    for drop in drops:
        try:
            affected.update(client.tops_by_item(changed_items(drop), log))
        except POISON_ERRORS as exc:
            refused.append((drop, f"the PLM refused its items: {type(exc).__name__}: {exc}"))
    return affected, refused


def quarantine(
    store: StateStore, alerts: AlertResource, drop: WebhookDrop, reason: str, log: dg.DagsterLogManager
) -> None:
    """Mark the drop rejected with its reason and alert once (a replayed tick finds it rejected already)."""
    if not store.reject_drop(drop.id, reason):
        return
    change = drop.payload.get("data", {}).get("number", "?") if isinstance(drop.payload, dict) else "?"
    alerts.send(
        Alert(
            title="PLM webhook drop quarantined",
            flow=BOM_FLOW,
            partition="",
            run_id="",
            error=f"drop {drop.id} (event {drop.event_id}, change {ascii(change)[:80]}): {reason}",
            correlation_id=drop.event_id,
            severity="warning",
        ),
        logger=log,
    )


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
        tags={
            TRIGGER_TAG: "plm-webhook",
            "mfg-sync/changes": ",".join(changes)[:200],
            "mfg-sync/drops": ",".join(str(d.id) for d in drops)[:200],
        },
    )


@dg.sensor(
    name="plm_change_sensor",
    job=bom_sync,
    minimum_interval_seconds=5,  # change order released -> run requested within seconds, not half a minute
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Released PLM change orders (signed webhook drops) -> bom_sync of every affected assembly.",
)
def plm_change_sensor(
    context: dg.SensorEvaluationContext, plm: PLMResource, sync_state: SyncStateResource, alerts: AlertResource
) -> dg.SensorResult | dg.SkipReason:
    store = sync_state.store()
    disabled = disabled_reason(load_connections()[DEFAULT_CONNECTION], store.connection_switches())
    if disabled:  # the drops wait: once enabled again, the next tick turns them into runs
        return dg.SkipReason(disabled)
    breaker = breaker_state(store, BOM_FLOW, breaker_threshold())
    if breaker.is_open:
        return dg.SkipReason(breaker.reason())
    cursor = int(context.cursor or 0)
    drops = store.webhook_drops_after(cursor, source=PLM_SOURCE, limit=DROPS_PER_TICK)
    if not drops:
        return dg.SkipReason(f"no PLM webhook drops after drop {cursor}")
    poison = [(d, problem) for d in drops if (problem := drop_problem(d))]
    rejected = {d.id for d, _ in poison}
    with plm.client(logger=context.log) as client:
        affected, refused = affected_by_drops(client, [d for d in drops if d.id not in rejected], context.log)
    poison += refused
    rejected |= {d.id for d, _ in refused}
    valid = [d for d in drops if d.id not in rejected]
    for drop, reason in poison:
        quarantine(store, alerts, drop, reason, context.log)
    runs = plan_runs(valid, affected)
    known = set(context.instance.get_dynamic_partitions(assemblies.name))
    new = [a for a in runs if a not in known]
    store.mark_drops_processed(d.id for d in valid)
    context.log.info(
        f"{len(drops)} drop(s) {drops[0].id}..{drops[-1].id} -> {len(runs)} run(s): "
        f"{', '.join(runs) or 'no released assembly affected'}" + (f"; {len(poison)} quarantined" if poison else "")
    )
    return dg.SensorResult(
        run_requests=[_run_request(a, ds) for a, ds in runs.items()],
        dynamic_partitions_requests=[assemblies.build_add_request(new)] if new else [],
        cursor=str(drops[-1].id),
    )
