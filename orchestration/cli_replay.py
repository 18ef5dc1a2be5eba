"""`mfg-sync replay`: post dead letters again through the `replay_dead_letters` job (recorded in Dagster).

    mfg-sync replay --id 12 --id 13        # these dead letters
    mfg-sync replay --flow maintenance_sync  # every open one of a flow
    mfg-sync replay --all-retryable        # every open one a retry can help

Prints one line per dead letter (replayed, failed, skipped and why) and a summary; exit 1 when one failed.
"""

from __future__ import annotations

import os
from typing import Any

import click

QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def replay_rows(result: Any) -> list[dict[str, Any]]:
    """The per-dead-letter rows the replay asset reported in its materialization's metadata."""
    for event in result.get_asset_materialization_events():
        rows = event.event_specific_data.materialization.metadata.get("replay_rows")
        if rows is not None:
            return list(rows.value)
    return []


@click.command()
@click.option("--id", "ids", multiple=True, type=int, help="A dead letter's id (repeat for more).")
@click.option("--flow", default="", help="Every open dead letter of this flow, e.g. maintenance_sync.")
@click.option("--all-retryable", is_flag=True, help="Every open dead letter a retry can help.")
def replay(ids: tuple[int, ...], flow: str, all_retryable: bool) -> None:
    """Replay dead letters: each goes through its flow's look-up-before-post, then is marked replayed."""
    if not (ids or flow or all_retryable):
        raise click.UsageError("name the dead letters: --id N, --flow FLOW or --all-retryable")
    os.environ.setdefault("MFG_SYNC_RETRY_DELAYS_S", "none")
    from assets.replay import REPLAY_OP
    from orchestration.bom_runs import instance  # Dagster: imported only when a replay is wanted
    from orchestration.dead_runs import process_tags
    from orchestration.definitions import defs

    config = {"ids": list(ids), "flow": flow, "all_retryable": all_retryable}
    result = defs.resolve_job_def("replay_dead_letters").execute_in_process(
        instance=instance(),
        raise_on_error=False,
        tags={"mfg-sync/trigger": "cli", **process_tags()},
        run_config={"ops": {REPLAY_OP: {"config": config}}, **QUIET_CONSOLE},
    )
    if not result.success:
        failure = next((e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None)
        error = failure.event_specific_data.error if failure else None
        message = error.message.strip().splitlines()[0] if error else "see the run in the UI"
        raise click.ClickException(f"replay run {result.run_id} failed: {message}")
    rows = replay_rows(result)
    for row in rows:
        click.echo(
            f"#{row['dead_letter']} {row['outcome']:<8} {row['flow']} {row['entity']}/{row['key']}: {row['detail']}"
        )
    counts = {o: sum(r["outcome"] == o for r in rows) for o in ("replayed", "failed", "skipped")}
    click.echo(
        f"replayed {counts['replayed']}  failed {counts['failed']}  skipped {counts['skipped']}  (run {result.run_id})"
    )
    if counts["failed"]:
        raise SystemExit(1)
