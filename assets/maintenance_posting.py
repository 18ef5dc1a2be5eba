"""Posting goods movements exactly once, shared by `maintenance_sync` (erp/goods_issues), the day-partitioned
`maintenance_postings` job and `replay_dead_letters`: the same idempotency whoever posts.

Per change: recorded "posting" in the state store, posted through the ERP client (which looks the
EAM-MT-<id> reference up before the post, and again when the answer was lost), recorded "posted". A refused
posting becomes a dead letter carrying what replay needs (the work order and the movement) and its business
severity, read from the EAM work order; a NEW plant-critical dead letter alerts at once (the others wait for
the breaker).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from assets import maintenance_state as state
from resources.alerts import Alert, AlertResource
from resources.state import StateStore
from resources.state.breaker import breaker_state
from resources.transport import ApiError
from resources.trigger_settings import breaker_threshold
from sync.flows import MAINTENANCE_FLOW
from sync.maintenance_plan import GoodsIssueChange, issue_to_post
from sync.severity import PLANT_CRITICAL, SEVERITIES, WorkOrderFacts, maintenance_severity

RESULT_COLUMNS = [
    "key",
    "op",
    "reference",
    "movement_type",
    "document",
    "status",
    "error_code",
    "message",
    "severity",
]
WORK_ORDERS_PER_QUERY = 50


@dataclass
class Posted:
    """What one posting pass did: a row per change, the failures, the rowstamps to read again."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    held: list[int | None] = field(default_factory=list)

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == "failed"]

    @property
    def posted(self) -> int:
        return sum(1 for row in self.rows if row["status"] == "posted")


def post_changes(
    erp_client: Any,
    store: StateStore,
    run_id: int,
    changes: Iterable[GoodsIssueChange],
    severity_of: Any,
) -> tuple[Posted, list[tuple[GoodsIssueChange, ApiError]]]:
    """Post each change once; `severity_of(failed changes)` -> {work order key: facts} classes the failures."""
    changes = list(changes)
    # the site flow, a day's backfill and a replay may post the same transaction at once: the second waits
    # for the first's lease, then finds its "posted" mark instead of a post still in flight
    leases = [f"erp/goods_issue/{c.key}" for c in changes]
    with store.hold_leases(leases, f"sync-run-{run_id}"):
        return _post_held(erp_client, store, run_id, changes, severity_of)


def _post_held(
    erp_client: Any, store: StateStore, run_id: int, changes: list[GoodsIssueChange], severity_of: Any
) -> tuple[Posted, list[tuple[GoodsIssueChange, ApiError]]]:
    outcome, failed = Posted(), []
    marks = state.postings(store, [c.key for c in changes])
    for change in changes:
        issue = issue_to_post(change)
        row = {
            "key": change.key,
            "op": change.op,
            "reference": issue.reference,
            "movement_type": issue.movement_type,
            "document": "",
            "status": "posted",
            "error_code": None,
            "message": "",
            "severity": "",
        }
        mark = marks.get(change.key, {})
        if mark.get("state") == "posted":  # another run posted it while this one waited for the lease
            document = f"{mark.get('document_year', '')}/{mark.get('document', '')}"
            outcome.rows.append({**row, "status": "already posted", "document": document})
            continue
        if mark.get("state") != "posting":  # an earlier attempt's mark stays (and its dead letter)
            state.record_posting(store, run_id, change.key, "posting", reference=issue.reference)
        try:
            posted = erp_client.maintenance.post_goods_movement(issue)
        except ApiError as err:
            failed.append((change, err))
            outcome.rows.append({**row, "status": "failed", "error_code": err.code, "message": str(err)})
            outcome.held.append(change.rowstamp)  # read again next run; the look-up prevents a twin
            continue
        state.record_posting(
            store,
            run_id,
            change.key,
            "posted",
            reference=issue.reference,
            document=posted.document,
            document_year=posted.document_year,
        )
        outcome.rows.append({**row, "document": f"{posted.document_year}/{posted.document}"})
    if failed:
        facts = severity_of([c for c, _ in failed])
        severities = {c.key: maintenance_severity(state.POSTING, facts.get(c.work_order)) for c, _ in failed}
        for change, err in failed:
            state.record_failure(
                store,
                run_id,
                state.POSTING,
                change.key,
                err.code,
                str(err),
                err.retryable,
                severity=severities[change.key],
                payload={"work_order": change.work_order, "issue": change.issue, "rowstamp": change.rowstamp},
            )
        for row in outcome.rows:
            row["severity"] = severities.get(row["key"], "") if row["status"] == "failed" else ""
    return outcome, failed


def work_order_facts(eam: Any, work_orders: Sequence[str], log: Any = None) -> dict[str, WorkOrderFacts]:
    """Status and priority of these "<site>/<wonum>" work orders from the EAM; an EAM that does not answer
    leaves them unknown (severity operational) rather than failing the posting run."""
    by_site: dict[str, list[str]] = {}
    for key in sorted(set(work_orders)):
        site, _, number = key.partition("/")
        by_site.setdefault(site, []).append(number)
    facts: dict[str, WorkOrderFacts] = {}
    try:
        with eam.client(logger=log) as client:
            for site, numbers in by_site.items():
                for start in range(0, len(numbers), WORK_ORDERS_PER_QUERY):
                    quoted = ",".join(f'"{n}"' for n in numbers[start : start + WORK_ORDERS_PER_QUERY])
                    where = f'siteid="{site}" and wonum in [{quoted}]'
                    for wo in client.work_orders(where=where):
                        facts[f"{wo.site}/{wo.number}"] = WorkOrderFacts(wo.status, wo.priority)
    except ApiError as err:
        (log or dg.get_dagster_logger()).warning(f"severity: the EAM did not answer ({err}); classed operational")
    return facts


def severity_from_eam(eam: Any, log: Any = None) -> Any:
    """`severity_of` for `post_changes`: the failed changes' work orders read from the EAM."""
    return lambda failed: work_order_facts(eam, [c.work_order for c in failed], log)


class WorkOrderFactsCache:
    """Severity of records keyed by their work order ("<site>/<wonum>", reservations), one EAM read each."""

    def __init__(self, eam: Any, log: Any = None) -> None:
        self.eam, self.log, self.known = eam, log, {}

    def severity(self, work_order: str, entity: str = state.LINK) -> str:
        if work_order not in self.known:
            self.known.update(work_order_facts(self.eam, [work_order], self.log))
            self.known.setdefault(work_order, None)
        return maintenance_severity(entity, self.known[work_order])


ALERT_TITLES = {state.POSTING: "Plant-critical goods issue failed", state.LINK: "Plant-critical reservation failed"}


def alert_new_plant_critical(
    store: StateStore,
    alerts: AlertResource,
    keys: Iterable[str],
    partition: str,
    run_id: str,
    log: Any,
    entity: str = state.POSTING,
) -> int:
    """One alert per plant-critical dead letter seen for the first time (attempts 1); returns how many."""
    wanted = set(keys)
    if not wanted:
        return 0
    sent = 0
    for letter in store.open_dead_letters(flow=MAINTENANCE_FLOW, entity=entity):
        if letter.key not in wanted or letter.severity != PLANT_CRITICAL or letter.attempts != 1:
            continue
        work_order = (letter.payload or {}).get("work_order", letter.key if entity == state.LINK else "?")
        what = "EAM transaction" if entity == state.POSTING else "reservation of work order"
        alerts.send(
            Alert(
                title=ALERT_TITLES[entity],
                flow=MAINTENANCE_FLOW,
                partition=partition,
                run_id=run_id,
                error=f"{what} {letter.key} of work order {work_order} (dead letter #{letter.id}): "
                f"[{letter.error_code}] {letter.message}",
                correlation_id=run_id,
                severity="critical",
            ),
            logger=log,
        )
        sent += 1
    return sent


def alert_if_breaker_opened(
    store: StateStore, alerts: AlertResource, status: str, partition: str, run_id: str, log: Any
) -> bool:
    """The failures below plant-critical wait for the breaker: ONE alert when this run's failure opened it."""
    breaker = breaker_state(store, MAINTENANCE_FLOW, breaker_threshold())
    if status not in ("partial", "failed") or breaker.failures != breaker.threshold:
        return False
    letters = store.open_dead_letters(flow=MAINTENANCE_FLOW)
    counts = ", ".join(f"{s} {sum(d.severity == s for d in letters)}" for s in SEVERITIES)
    alerts.send(
        Alert(
            title=f"Circuit breaker OPEN for {MAINTENANCE_FLOW}: {breaker.failures} consecutive failed runs, "
            "triggers paused",
            flow=MAINTENANCE_FLOW,
            partition=partition,
            run_id=run_id,
            error=f"open dead letters: {counts} (mfg-sync state dead-letters --flow {MAINTENANCE_FLOW})",
            correlation_id=run_id,
            severity="critical",
        ),
        logger=log,
    )
    return True
