"""`replay_dead_letters` (asset `erp/replayed_goods_issues`): post dead-lettered goods issues again, through
the same idempotency as the flows.

Config picks the dead letters: `ids` (any status), or the live ones of `flow`, or with `all_retryable` every
live retryable one (combinable: ids, then flow, then retryable). A maintenance goods issue (entity
`goods_issue`, its movement kept in the dead letter) is posted by `post_changes`: the state store is looked
at first (posted already: nothing is sent), then the ERP is searched for its EAM-MT-<id> reference before the
post. A posted dead letter is marked `replayed`; one that fails again stays open with one more attempt.
Other dead letters are listed as `skipped` with what to run instead: their flow re-plans them.
"""

from typing import Any

import dagster as dg
import pandas as pd

from assets import maintenance_state as state
from assets.keys import FLOW_TAG, OWNERS, STAGE_TAG, SYSTEM_OF_RECORD_TAG
from assets.maintenance_posting import post_changes, severity_from_eam
from assets.metadata import rows_table
from resources.eam import EAMResource
from resources.erp import ERPResource
from resources.state import DeadLetter, StateStore, SyncStateResource
from sync.flows import MAINTENANCE_FLOW
from sync.maintenance_plan import GoodsIssueChange

REPLAY_PARTITION = "@replay"
REPLAY_GROUP = "replay"
ERP_REPLAYED_GOODS_ISSUES = dg.AssetKey(["erp", "replayed_goods_issues"])
REPLAY_OP = "erp__replayed_goods_issues"  # the asset's op: run config goes under ops.<this>.config
REPLAY_COLUMNS = ["dead_letter", "flow", "entity", "key", "outcome", "detail"]


class ReplayConfig(dg.Config):
    ids: list[int] = []
    flow: str = ""
    all_retryable: bool = False


def chosen(store: StateStore, ids: list[int], flow: str, all_retryable: bool) -> list[DeadLetter]:
    """The dead letters a replay of this config is about, by id, oldest first."""
    letters = {d.id: d for d in store.dead_letters_by_id(ids)} if ids else {}
    if flow or all_retryable:
        for letter in store.open_dead_letters(flow=flow or None):
            if not all_retryable or letter.retryable:
                letters.setdefault(letter.id, letter)
    return [letters[i] for i in sorted(letters)]


def replayable(letter: DeadLetter) -> str | None:
    """Why this job cannot post `letter` itself (None when it can)."""
    if letter.status not in ("open", "retrying"):
        return f"status {letter.status}: nothing to replay"
    if letter.flow != MAINTENANCE_FLOW or letter.entity != state.POSTING:
        return f"run its flow {letter.flow} again: it re-plans {letter.entity} {letter.key}"
    if not (letter.payload or {}).get("issue"):
        return "the dead letter holds no goods movement (recorded before replay existed): run maintenance_sync"
    return None


def _change(letter: DeadLetter) -> GoodsIssueChange:
    payload: dict[str, Any] = letter.payload or {}
    return GoodsIssueChange(
        letter.key, "post", str(payload.get("work_order", "")), issue=payload["issue"], rowstamp=payload.get("rowstamp")
    )


@dg.asset(
    key=ERP_REPLAYED_GOODS_ISSUES,
    group_name=REPLAY_GROUP,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags={FLOW_TAG: MAINTENANCE_FLOW, STAGE_TAG: "apply", SYSTEM_OF_RECORD_TAG: "eam"},
    pool="erp_api",
    description="Dead-lettered goods issues posted again (config: ids, flow, all_retryable), once each; "
    "each dead letter's outcome.",
)
def erp_replayed_goods_issues(
    context: dg.AssetExecutionContext,
    config: ReplayConfig,
    erp: ERPResource,
    eam: EAMResource,
    sync_state: SyncStateResource,
) -> dg.Output:
    store = sync_state.store()
    letters = chosen(store, config.ids, config.flow, config.all_retryable)
    rows = []
    todo = []
    for letter in letters:
        reason = replayable(letter)
        base = {"dead_letter": letter.id, "flow": letter.flow, "entity": letter.entity, "key": letter.key}
        if reason:
            rows.append({**base, "outcome": "skipped", "detail": reason})
        else:
            todo.append(letter)
    if todo:
        run_id = store.start_run(MAINTENANCE_FLOW, REPLAY_PARTITION, context.run.run_id, context.run.run_id)
        marks = state.postings(store, [d.key for d in todo])
        done_before = [d for d in todo if marks.get(d.key, {}).get("state") == "posted"]
        to_post = [d for d in todo if d not in done_before]
        with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
            outcome, _ = post_changes(
                client, store, run_id, [_change(d) for d in to_post], severity_from_eam(eam, context.log)
            )
        by_key = {r["key"]: r for r in outcome.rows}
        for letter in todo:
            base = {"dead_letter": letter.id, "flow": letter.flow, "entity": letter.entity, "key": letter.key}
            row = by_key.get(letter.key)
            if row is None or row["status"] == "posted":
                detail = f"posted as {row['document']}" if row else "posted by an earlier run"
                store.mark_dead_letter(letter.id, "replayed")
                rows.append({**base, "outcome": "replayed", "detail": detail})
            else:
                rows.append({**base, "outcome": "failed", "detail": f"[{row['error_code']}] {row['message']}"})
        failed = sum(r["outcome"] == "failed" for r in rows)
        store.finish_run(run_id, "partial" if failed else "succeeded", {"created": outcome.posted, "failed": failed})
    counts = {o: sum(r["outcome"] == o for r in rows) for o in ("replayed", "failed", "skipped")}
    context.log.info(f"replay of {len(letters)} dead letter(s): {counts}")
    return dg.Output(
        pd.DataFrame(rows, columns=REPLAY_COLUMNS),
        metadata={
            **counts,
            "dead_letters": rows_table(rows, REPLAY_COLUMNS),
            "replay_rows": dg.MetadataValue.json(rows),
        },
    )


replay_dead_letters = dg.define_asset_job(
    "replay_dead_letters",
    selection=dg.AssetSelection.groups(REPLAY_GROUP),
    description="Replay dead letters (config: ids, flow, all_retryable) through the flows' idempotency.",
    executor_def=dg.in_process_executor,
)
