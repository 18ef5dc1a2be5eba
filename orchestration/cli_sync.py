"""`mfg-sync sync bom|maintenance` and `mfg-sync assemblies ...`: the syncs from the command line, through Dagster."""

from __future__ import annotations

import sys

import click

from orchestration import bom_runs, dead_runs, maintenance_runs
from orchestration.cli_connections import named, refusal
from orchestration.cli_shop_floor import shop_floor
from orchestration.condition_runs import condition
from orchestration.configuration import require_environment
from resources.erp.connections import DEFAULT_CONNECTION
from resources.state import StateStore


def _released_assemblies(full: bool = False) -> list[str]:
    """The PLM's released top-level assemblies; computed again only when the change feed shows a release
    the last computation did not see (or `full`)."""
    from resources.plm.extract_cache import released_top_assemblies
    from resources.plm.resource import PLMResource

    store = StateStore.from_env()
    try:
        with PLMResource.from_env().client() as client:
            return released_top_assemblies(client, store.plm_cache, full=full)
    finally:
        store.dispose()


@click.group()
def assemblies() -> None:
    """Top-level assemblies: the partitions of the BOM sync."""


@assemblies.command("register")
def register() -> None:
    """Register every released top-level assembly of the PLM as a partition."""
    require_environment("plm")
    released = _released_assemblies()
    new = bom_runs.register_assemblies(bom_runs.instance(), released)
    click.echo(f"{len(released)} released top-level assemblies; {len(new)} newly registered: {', '.join(new) or '-'}")


@assemblies.command("list")
def list_registered() -> None:
    """The registered partitions."""
    from assets.partitions import assemblies as partitions

    for number in bom_runs.instance().get_dynamic_partitions(partitions.name):
        click.echo(number)


@click.group()
def sync() -> None:
    """Run syncs through Dagster (recorded in the instance at DAGSTER_HOME)."""


sync.add_command(condition)


@sync.command("bom")
@click.option("--assembly", "numbers", multiple=True, metavar="NUMBER", help="A top-level assembly (repeatable).")
@click.option("--all", "all_", is_flag=True, help="Every released top-level assembly of the PLM.")
@click.option("--dry-run", is_flag=True, help="Extract and plan only: print the plans, write nothing to the ERP.")
@click.option(
    "--full-extract", is_flag=True, help="Read every BOM and part from the PLM again instead of reusing earlier reads."
)
@click.option(
    "--connection",
    default=DEFAULT_CONNECTION,
    show_default=True,
    metavar="NAME",
    help="The ERP connection (mappings/connections.yaml) to sync to.",
)
def bom(numbers: tuple[str, ...], all_: bool, dry_run: bool, full_extract: bool, connection: str) -> None:
    """Sync released PLM BOMs to the ERP, one Dagster run per assembly; exit 1 if any run failed."""
    if bool(numbers) == all_:
        raise click.UsageError("give --assembly NUMBER (one or more) or --all")
    conn = named(connection)
    require_environment(*(("plm", "erp") if conn.kind == "sap" else ("plm",)))
    reason = refusal(conn)
    if reason:
        raise click.ClickException(reason)
    from resources.plm.change_feed import shared_change_feed

    inst = bom_runs.instance()
    _release_dead_runs(inst)
    with shared_change_feed():  # one change-feed read serves discovery and every run of this command
        targets = _released_assemblies(full_extract) if all_ else list(numbers)
        new = bom_runs.register_assemblies(inst, targets)
        if new:
            click.echo(f"registered {len(new)} new assemblies: {', '.join(new)}")
        outcomes = bom_runs.run_bom_sync(
            inst,
            targets,
            dry_run,
            on_done=lambda o: click.echo(format_outcome(o, dry_run)),
            full_extract=full_extract,
            connection=connection,
        )
    if dry_run:
        for outcome in outcomes:
            click.echo(plan_text(outcome.assembly, connection))
    failed = [o.assembly for o in outcomes if not o.success]
    if failed:
        click.echo(
            f"FAILED: {', '.join(failed)} (see `mfg-sync state dead-letters` and the runs in the Dagster UI)", err=True
        )
        sys.exit(1)


@sync.command("maintenance")
@click.option(
    "--flow",
    "flows",
    multiple=True,
    type=click.Choice(list(maintenance_runs.FLOWS)),
    help="A maintenance flow (repeatable).",
)
@click.option(
    "--site", "site_keys", multiple=True, metavar="SITE", help="An EAM site (repeatable); default: MFG_SYNC_EAM_SITEID."
)
@click.option("--all", "all_", is_flag=True, help="Every maintenance flow.")
def maintenance(flows: tuple[str, ...], site_keys: tuple[str, ...], all_: bool) -> None:
    """Sync EAM work orders, material movements, stock and assets with the ERP, through Dagster; exit 1 if a
    run failed. Prints per flow what was created, updated, reversed and failed, and each system's requests."""
    if bool(flows) == all_:
        raise click.UsageError("give --flow FLOW (one or more) or --all")
    require_environment("eam", "erp")
    inst = bom_runs.instance()
    _release_dead_runs(inst)
    if not site_keys:
        from resources.eam import EAMResource

        site_keys = (EAMResource.from_env().siteid,)
    chosen = list(maintenance_runs.FLOWS) if all_ else list(flows)
    outcomes = maintenance_runs.run_maintenance_sync(
        inst, chosen, site_keys, on_done=lambda o: click.echo(format_flow_outcome(o))
    )
    failed = [f"{o.site} {o.flow}" for o in outcomes if o.available and not o.success]
    if failed:
        click.echo(
            f"FAILED: {', '.join(failed)} (see `mfg-sync state dead-letters` and the runs in the Dagster UI)", err=True
        )
        sys.exit(1)


def format_flow_outcome(outcome) -> str:
    head = f"{outcome.site:<8} {outcome.flow:<13}"
    if not outcome.available:
        return f"{head} not available (job {outcome.job} is not in this deployment)"
    counts = "  ".join(f"{name} {outcome.counts.get(name, 0)}" for name in ("created", "updated", "reversed", "failed"))
    calls = "".join(f"  {system.upper()} requests {n}" for system, n in sorted(outcome.api_calls.items()))
    status = "ok" if outcome.success else "FAILED"
    line = f"{head} {status:<6} {counts}{calls}  {outcome.duration_s:.1f} s  run {outcome.run_id[:8]}"
    if outcome.error:
        line += "".join(f"\n{'':<9}{text}" for text in outcome.error.splitlines())
    return line


def _release_dead_runs(inst) -> None:
    """Runs killed earlier must not hold their pool slots: free them and say so; say what a run waits for."""
    store = StateStore.from_env()
    try:
        for line in dead_runs.release_dead_runs(inst, store):
            click.echo(line)
    finally:
        store.dispose()
    for line in dead_runs.pool_waits(inst):
        click.echo(line)


def format_outcome(outcome: bom_runs.AssemblyOutcome, dry_run: bool) -> str:
    names = ("to_create", "to_update", "to_delete", "to_unchanged", "to_error") if dry_run else bom_runs.COUNTS
    counts = "  ".join(f"{name} {outcome.counts.get(name, 0)}" for name in names)
    calls = "  ".join(f"{system.upper()} requests {n}" for system, n in sorted(outcome.api_calls.items()))
    status = "ok" if outcome.success else "FAILED"
    line = f"{outcome.assembly:<12} {status:<6} {counts}  {calls}  {outcome.duration_s:.1f} s  run {outcome.run_id[:8]}"
    if outcome.checks_failed:
        line += f"  checks failed: {', '.join(outcome.checks_failed)}"
    if outcome.error:
        line += "".join(f"\n{'':<13}{text}" for text in outcome.error.splitlines())
    return line


def plan_text(number: str, connection: str = DEFAULT_CONNECTION) -> str:
    """The stored plans of one assembly, as text."""
    import pandas as pd

    from orchestration.settings import storage_dir
    from sync.frames import plan_from_frame

    texts = []
    for asset in bom_runs.connection_assets(connection, dry_run=True):
        path = storage_dir() / asset / f"{number}.parquet"
        if path.exists():
            plan, errors = plan_from_frame(pd.read_parquet(path))
            plan.flow, plan.partition = asset, number
            texts.append(plan.to_table_text())
            texts.extend(f"MAPPING ERROR {e}" for e in errors)
    return "\n".join(texts)


sync.add_command(shop_floor)
