"""`mfg-sync sync condition`: the condition flow run once over the pending drops, through Dagster."""

from __future__ import annotations

import os
import sys

import click

from orchestration import bom_runs
from orchestration.bom_runs import QUIET_CONSOLE
from orchestration.configuration import require_environment
from orchestration.dead_runs import process_tags


def run_condition_sync() -> tuple[bool, str, list[dict], list[dict], dict[str, int]]:
    """(success, run id, the events' rows (the UI table's first 200), the follow-up rows, events per status)."""
    os.environ.setdefault("MFG_SYNC_RETRY_DELAYS_S", "none")
    import dagster as dg

    import assets
    from assets.condition_job import condition_sync
    from assets.keys import EAM_WORK_REQUESTS, ERP_PURCHASE_REQUISITIONS
    from orchestration.definitions import build_resources

    found = assets.definitions()  # resources from the environment now, not as it was when something imported defs
    defs = dg.Definitions(
        assets=found.assets, asset_checks=found.asset_checks, jobs=[condition_sync], resources=build_resources()
    )
    job = defs.resolve_job_def(condition_sync.name)
    result = job.execute_in_process(
        instance=bom_runs.instance(),
        raise_on_error=False,
        tags={"mfg-sync/trigger": "cli", **process_tags()},
        run_config=QUIET_CONSOLE,
    )
    tables: dict[str, list[dict]] = {}
    counts: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        for name, value in materialization.metadata.items():
            if name in ("events_table", "follow_up"):
                tables[materialization.asset_key.to_user_string()] = [dict(r.data) for r in value.value.records]
            elif name.startswith("events_") and isinstance(value.value, int):
                counts[name.removeprefix("events_")] = value.value
    tables["counts"] = [counts]
    errors = [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    if errors:
        click.echo(f"FAILED: {errors[0].strip().splitlines()[0]}", err=True)
    return (
        result.success,
        result.run_id,
        tables.get(EAM_WORK_REQUESTS.to_user_string(), []),
        tables.get(ERP_PURCHASE_REQUISITIONS.to_user_string(), []),
        tables["counts"][0],
    )


@click.command("condition")
def condition() -> None:
    """Pending condition events -> work requests; approved and reserved ones -> purchase requisitions."""
    require_environment("erp")
    from resources.eam import EAMResource

    try:
        EAMResource.from_env().check_configuration()
    except ValueError as err:
        raise click.ClickException(f"configuration: {err}") from None
    from orchestration.cli_events import format_status

    success, run_id, events, follow_up, counts = run_condition_sync()
    for row in events:
        click.echo(format_status(row))
    for row in follow_up:
        material = f" {row['material']}" if row.get("material") else ""
        pr = f" PR {row['requisition']}" if row.get("requisition") else ""
        click.echo(f"WO {row['work_order']}{material}: {row['status']}{pr} ({row.get('reason') or ''})")
    total = sum(counts.values())
    shown = f" (the first {len(events)} shown; all: mfg-sync events status)" if len(events) < total else ""
    by_status = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    click.echo(
        f"{total} event(s): {by_status or 'none pending'}{shown}; {len(follow_up)} follow-up line(s); run {run_id}"
    )
    if not success:
        sys.exit(1)
