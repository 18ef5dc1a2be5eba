"""Condition events -> EAM work requests: `condition/events` (the pending drops) and `eam/work_requests`.

The asset is validated in the EAM (it exists in the site) and in the ERP (its equipment exists); an unknown
one rejects its events' drops with the reason. Per asset and failure class at most one work request within
the debounce window; an open work order of the same asset and failure class covers the events; otherwise a
work order is created in WAPPR (priority from severity, the job plan's spare parts as planned materials),
looked up by the event id before it is created. A drop is stamped processed once its event's outcome is stored.

An event that fails stays pending for the next run and carries the maintenance severity: plant-critical when
its work request would have priority 1 or 2 (that asset may fail before anyone plans the work), which alerts
at once, the first time it fails; the others alert when the flow's circuit breaker opens.
"""

import time
from typing import Any

import dagster as dg
import pandas as pd

from assets import condition_state as state
from assets.condition_job import ConditionRulesResource
from assets.keys import CONDITION_EVENTS, EAM_WORK_REQUESTS, OWNERS, condition_tags, ins
from assets.metadata import api_metadata, rows_table
from resources.alerts import Alert, AlertResource
from resources.eam import EAMResource
from resources.eam import work_requests as eam_requests
from resources.erp import ERPResource
from resources.state import SyncStateResource
from resources.transport import ApiError
from sync.condition import ConditionEvent, ConditionRules, EventError, decide, parse_event
from sync.flows import CONDITION_FLOW
from sync.severity import CRITICAL_PRIORITIES, OPERATIONAL, PLANT_CRITICAL

EVENT_COLUMNS = ["drop_id", "event_id", "site", "asset", "measurement", "value", "unit", "threshold", "timestamp"]


@dg.asset(
    key=CONDITION_EVENTS,
    group_name="condition",
    kinds={"mqtt", "pandas", "parquet"},
    owners=OWNERS,
    tags=condition_tags("extract", "condition-monitoring"),
    description="Condition events dropped by `mfg-sync events serve` or the webhook receiver, not yet processed.",
)
def condition_events(context: dg.AssetExecutionContext, sync_state: SyncStateResource) -> dg.Output:
    store, rows, cursor = sync_state.store(), [], 0
    run_id = state.sync_run(context, sync_state)
    while drops := store.webhook_drops_after(cursor, source=state.DROP_SOURCE, unprocessed_only=True):
        for drop in drops:
            try:
                event = parse_event(drop.payload)
            except EventError as err:  # kept since ingest, e.g. an HTTP drop from an older receiver
                store.reject_drop(drop.id, f"invalid condition event: {err}")
                continue
            rows.append({"drop_id": drop.id, **event.as_payload()})
        cursor = drops[-1].id
    statuses = {r["event_id"]: {**_status_base(r), "status": "received"} for r in rows}
    state.record_statuses(
        store, run_id, {k: v for k, v in statuses.items() if k not in state.statuses(store, statuses)}
    )
    context.log.info(f"{len(rows)} pending condition event(s)")
    return dg.Output(pd.DataFrame(rows, columns=EVENT_COLUMNS), metadata={"events": len(rows)})


def _status_base(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("site", "asset", "measurement", "value", "unit", "threshold", "timestamp")}


@dg.asset(
    key=EAM_WORK_REQUESTS,
    ins=ins(condition_events=CONDITION_EVENTS),
    group_name="condition",
    kinds={"maximo", "pandas", "parquet"},
    owners=OWNERS,
    tags=condition_tags("apply"),
    description="One work request per asset and failure class (debounced, escalated, or covered by an open order).",
)
def eam_work_requests(
    context: dg.AssetExecutionContext,
    condition_events: pd.DataFrame,
    eam: EAMResource,
    erp: ERPResource,
    sync_state: SyncStateResource,
    condition_rules: ConditionRulesResource,
    alerts: AlertResource,
) -> dg.Output:
    store, rules, started = sync_state.store(), condition_rules.rules(), time.monotonic()
    run_id = state.sync_run(context, sync_state)
    records = condition_events.to_dict("records")
    events = {r["event_id"]: parse_event(r) for r in records}
    drop_of = {r["event_id"]: int(r["drop_id"]) for r in records}
    with (
        eam.client(correlation_id=context.run.run_id, logger=context.log) as eam_client,
        erp.client(correlation_id=context.run.run_id, logger=context.log) as erp_client,
    ):
        try:
            rejected = _validate_assets(eam_client, erp_client, events.values())
        except ApiError as err:  # a system that cannot answer: every event stays pending for the next run
            store.finish_run(run_id, "failed", {"failed": len(events)}, reason=str(err)[:500])
            raise
        refused = {e.event_id: rejected[(e.site, e.asset)] for e in events.values() if (e.site, e.asset) in rejected}
        for event_id, reason in refused.items():
            store.reject_drop(drop_of[event_id], reason)
        valid = [e for e in events.values() if e.event_id not in refused]
        outcome = _apply(context, eam_client, rules, store, run_id, valid)
        metrics = {
            **api_metadata("eam", eam_client.metrics.snapshot()),
            **api_metadata("erp", erp_client.metrics.snapshot()),
        }
    outcome.update({event_id: {"status": "rejected", "reason": reason} for event_id, reason in refused.items()})
    failed = [k for k, v in outcome.items() if v["status"] == "failed"]
    failed_before = {k for k, v in state.statuses(store, failed).items() if v.get("status") == "failed"}
    state.record_statuses(store, run_id, outcome)
    for event_id in failed:
        if outcome[event_id]["severity"] == PLANT_CRITICAL and event_id not in failed_before:
            _alert_plant_critical(context, alerts, events[event_id], outcome[event_id]["reason"])
    store.mark_drops_processed(drop_of[k] for k, v in outcome.items() if v["status"] not in ("failed", "rejected"))
    rows = [{"event_id": k, **events[k].as_payload(), **v} for k, v in outcome.items()]
    counts = {
        s: sum(v["status"] == s for v in outcome.values()) for s in sorted({v["status"] for v in outcome.values()})
    }
    context.log.info(f"condition events: {counts}")
    if failed:
        store.finish_run(run_id, "failed", {"failed": len(failed)})  # the breaker counts it
        raise dg.Failure(f"{len(failed)} condition event(s) failed and stay pending: {outcome[failed[0]]['reason']}")
    return dg.Output(
        pd.DataFrame(rows, columns=state.STATUS_COLUMNS),
        metadata={
            "events": len(rows),
            "work_requests_created": counts.get("work_request", 0),
            **{f"events_{s}": n for s, n in counts.items()},
            "duration_s": round(time.monotonic() - started, 3),
            **metrics,
            "events_table": rows_table(rows, state.STATUS_COLUMNS),
        },
    )


def _validate_assets(eam_client, erp_client, events) -> dict[tuple[str, str], str]:
    """(site, asset) -> why its events are rejected, for assets the EAM or the ERP does not know."""
    rejected: dict[tuple[str, str], str] = {}
    for site, asset in sorted({(e.site, e.asset) for e in events}):
        found = eam_requests.find_asset(eam_client, site, asset) if site else None
        if found is None:
            rejected[(site, asset)] = f"asset {asset} is not an EAM asset of site {site or '(none)'}"
        elif not found.equipment:
            rejected[(site, asset)] = f"asset {asset} has no ERP equipment (externalrefid is empty)"
        else:
            try:
                erp_client.maintenance.read_equipment(found.equipment)
            except ApiError as err:
                if err.status != 404:
                    raise
                rejected[(site, asset)] = f"asset {asset}: ERP equipment {found.equipment} does not exist"
    return rejected


def _apply(context, eam_client, rules: ConditionRules, store, run_id: int, events: list[ConditionEvent]):
    """Each decision carried out in the EAM; returns event id -> its status."""
    known = state.requests(store)
    by_id = {e.event_id: e for e in events}
    outcome: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    for d in decide(rules, events, known):
        event = by_id[d.event_id]
        if d.action in ("below_threshold", "unmapped"):
            outcome[d.event_id] = {"status": d.action, "reason": d.reason}
            continue
        try:
            if d.action == "work_request":
                request = _raise_request(eam_client, rules, event, d.key, d.priority)
                known[d.key] = changed[d.key] = request
                status = "work_request" if request["event_id"] == event.event_id else "covered"
                outcome[d.event_id] = {"status": status, "work_order": request["wonum"], "reason": request["note"]}
            elif d.action == "escalate":
                request = {**known[d.key], "priority": d.priority}
                eam_requests.escalate(eam_client, event.site, request["wonum"], d.priority, event.event_id)
                known[d.key] = changed[d.key] = request
                outcome[d.event_id] = {"status": "escalated", "work_order": request["wonum"], "reason": d.reason}
            else:
                wonum = known[d.key]["wonum"]
                outcome[d.event_id] = {
                    "status": "debounced",
                    "work_order": wonum,
                    "reason": f"work order {wonum} is open",
                }
        except (ApiError, LookupError) as err:
            context.log.error(f"condition event {d.event_id} ({event.asset}): {err}")
            severity = PLANT_CRITICAL if d.priority in CRITICAL_PRIORITIES else OPERATIONAL
            outcome[d.event_id] = {"status": "failed", "reason": str(err)[:300], "severity": severity}
            known.pop(d.key, None) if d.action == "work_request" else None
    state.record_requests(store, run_id, changed)
    return outcome


def _alert_plant_critical(context, alerts: AlertResource, event: ConditionEvent, reason: str) -> None:
    alerts.send(
        Alert(
            title="Plant-critical condition event failed: no work request",
            flow=CONDITION_FLOW,
            partition=f"{event.site}/{event.asset}",
            run_id=context.run.run_id,
            error=f"event {event.event_id}: {event.measurement} {event.value} {event.unit} on asset {event.asset} "
            f"(limit {event.threshold}): {reason}",
            correlation_id=context.run.run_id,
            severity="critical",
        ),
        logger=context.log,
    )


def _raise_request(eam_client, rules: ConditionRules, event: ConditionEvent, key: str, priority: int) -> dict:
    """The open work order covering the event's asset and failure class, or a new work request."""
    failure_class = key.rsplit("/", 1)[1]
    base = {"created_at": event.timestamp.isoformat(), "priority": priority, "site": event.site}
    ours = eam_requests.work_request_of(eam_client, event.site, event.event_id)
    open_orders = [ours] if ours else eam_requests.open_work_orders(eam_client, event.site, event.asset, failure_class)
    if open_orders:
        wo = open_orders[0]
        mine = (wo.get("externalrefid") or "") == eam_requests.REF_PREFIX + event.event_id
        note = "" if mine else f"open work order {wo['wonum']} ({wo['status']}) already covers {failure_class}"
        return {**base, "wonum": wo["wonum"], "event_id": event.event_id if mine else None, "note": note}
    asset = eam_requests.find_asset(eam_client, event.site, event.asset)
    job_plan = rules.job_plans.get(failure_class, {}).get(asset.asset_type) if asset else None
    parts = eam_requests.job_plan_parts(eam_client, event.site, job_plan) if job_plan else None
    if asset is None or parts is None:
        raise LookupError(f"no job plan for {failure_class} on a {asset.asset_type if asset else '?'} in the EAM")
    severity = rules.severity(event).name
    wo = eam_requests.create_work_request(
        eam_client,
        asset,
        event_id=event.event_id,
        failure_class=failure_class,
        priority=priority,
        description=f"{severity.upper()}: {event.measurement} {event.value} {event.unit} (limit {event.threshold})",
        job_plan=job_plan,
        parts=parts,
        cost_center=rules.cost_centers.get(asset.asset_type, ""),
    )
    return {**base, "wonum": wo["wonum"], "event_id": event.event_id, "note": f"job plan {job_plan}"}
