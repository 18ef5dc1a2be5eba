"""`mfg-sync sync bom` and `mfg-sync assemblies ...`: the BOM sync from the command line, through Dagster."""

from __future__ import annotations

import sys

import click

from orchestration import bom_runs, dead_runs
from orchestration.cli_connections import named, refusal
from orchestration.configuration import require_environment
from resources.erp.connections import DEFAULT_CONNECTION
from resources.state import StateStore


def _released_assemblies() -> list[str]:
    from resources.plm.resource import PLMResource

    with PLMResource.from_env().client() as client:
        return client.released_top_assemblies()


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


@sync.command("bom")
@click.option("--assembly", "numbers", multiple=True, metavar="NUMBER", help="A top-level assembly (repeatable).")
@click.option("--all", "all_", is_flag=True, help="Every released top-level assembly of the PLM.")
@click.option("--dry-run", is_flag=True, help="Extract and plan only: print the plans, write nothing to the ERP.")
@click.option(
    "--connection",
    default=DEFAULT_CONNECTION,
    show_default=True,
    metavar="NAME",
    help="The ERP connection (mappings/connections.yaml) to sync to.",
)
def bom(numbers: tuple[str, ...], all_: bool, dry_run: bool, connection: str) -> None:
    """Sync released PLM BOMs to the ERP, one Dagster run per assembly; exit 1 if any run failed."""
    if bool(numbers) == all_:
        raise click.UsageError("give --assembly NUMBER (one or more) or --all")
    conn = named(connection)
    require_environment(*(("plm", "erp") if conn.kind == "sap" else ("plm",)))
    reason = refusal(conn)
    if reason:
        raise click.ClickException(reason)
    inst = bom_runs.instance()
    _release_dead_runs(inst)
    targets = _released_assemblies() if all_ else list(numbers)
    new = bom_runs.register_assemblies(inst, targets)
    if new:
        click.echo(f"registered {len(new)} new assemblies: {', '.join(new)}")
    outcomes = bom_runs.run_bom_sync(
        inst, targets, dry_run, on_done=lambda o: click.echo(format_outcome(o, dry_run)), connection=connection
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
