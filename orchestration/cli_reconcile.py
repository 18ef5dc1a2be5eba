"""`mfg-sync reconcile`: PLM vs ERP, and `reconcile maintenance`: EAM vs ERP, through Dagster (recorded in the
instance at DAGSTER_HOME)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import click

from assets.keys import BOM_RECONCILIATION
from orchestration import bom_runs
from orchestration.cli_connections import named
from orchestration.configuration import require_environment
from resources.erp.connections import DEFAULT_CONNECTION


@dataclass
class ReconciliationOutcome:
    success: bool
    run_id: str
    counts: dict[str, int] = field(default_factory=dict)  # kind -> differences
    differences: int = 0
    report_path: str = ""
    error: str = ""


def run_reconciliation(
    assemblies: list[str], verbose: bool = False, connection: str = DEFAULT_CONNECTION
) -> ReconciliationOutcome:
    """One `reconciliation` job run in this process, recorded in the DAGSTER_HOME instance; the event log
    reaches the terminal only when `verbose` (it is always in the run, in the UI)."""

    from orchestration.definitions import defs  # imports every asset: only when a run is wanted

    key, job_name = BOM_RECONCILIATION, "reconciliation"
    if connection != DEFAULT_CONNECTION:
        from assets.connection_bom_sync import connection_keys

        key, job_name = connection_keys(connection)["reconciliation"], f"reconciliation_{connection}"
    job = defs.resolve_job_def(job_name)
    run_config = {
        "ops": {key.to_python_identifier(): {"config": {"assemblies": list(assemblies)}}},
        **({} if verbose else bom_runs.QUIET_CONSOLE),
    }
    result = job.execute_in_process(
        instance=bom_runs.instance(), run_config=run_config, raise_on_error=False, tags={"mfg-sync/trigger": "cli"}
    )
    outcome = ReconciliationOutcome(result.success, result.run_id)
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key != key:
            continue
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        outcome.counts = {k.removeprefix("diff_"): int(v) for k, v in metadata.items() if k.startswith("diff_")}
        outcome.differences = int(metadata.get("differences", 0))
        outcome.report_path = str(metadata.get("report_path", ""))
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and not outcome.error:
            error = event.event_specific_data.error
            outcome.error = error.message.strip().splitlines()[0] if error else event.message or "step failed"
    return outcome


@click.group(invoke_without_command=True)
@click.option(
    "--assembly",
    "numbers",
    multiple=True,
    metavar="NUMBER",
    help="A top-level assembly (repeatable); default: every registered assembly.",
)
@click.option("--verbose", is_flag=True, help="Print Dagster's event log of the run too.")
@click.option(
    "--connection",
    default=DEFAULT_CONNECTION,
    show_default=True,
    metavar="NAME",
    help="The ERP connection (mappings/connections.yaml) to compare with the PLM.",
)
@click.pass_context
def reconcile(ctx: click.Context, numbers: tuple[str, ...], verbose: bool, connection: str) -> None:
    """Compare PLM and ERP field by field (`reconcile maintenance`: EAM and ERP); print counts by kind and the
    HTML report; exit 1 on any difference."""
    if ctx.invoked_subcommand is not None:
        return
    conn = named(connection)
    require_environment(*(("plm", "erp") if conn.kind == "sap" else ("plm",)))
    outcome = run_reconciliation(list(numbers), verbose, connection)
    label = "ERP" if conn.is_default else connection
    if not outcome.success or not outcome.report_path:
        click.echo(
            f"reconciliation FAILED (run {outcome.run_id[:8]}): {outcome.error or 'no report produced'}", err=True
        )
        sys.exit(1)
    width = max(len(kind) for kind in outcome.counts) if outcome.counts else 10
    for kind, count in outcome.counts.items():
        click.echo(f"{kind:<{width}}  {count}")
    click.echo(f"{'total':<{width}}  {outcome.differences}")
    click.echo(f"report: {outcome.report_path}")
    if outcome.differences:
        click.echo(f"{outcome.differences} difference(s) between PLM and {label} (run {outcome.run_id[:8]})", err=True)
        sys.exit(1)
    click.echo(f"PLM and {label} agree (run {outcome.run_id[:8]})")


@reconcile.command("maintenance")
@click.option("--site", "site_keys", multiple=True, metavar="SITE", help="An EAM site (repeatable); default: all.")
@click.option("--verbose", is_flag=True, help="Print Dagster's event log of the run too.")
def maintenance(site_keys: tuple[str, ...], verbose: bool) -> None:
    """Compare EAM and ERP: goods issues and reservations per work order, stock per storeroom; print counts by
    area and kind and the HTML report; exit 1 on any difference."""
    from orchestration.maintenance_runs import run_maintenance_reconciliation

    require_environment("eam", "erp")
    outcome = run_maintenance_reconciliation(bom_runs.instance(), list(site_keys), verbose)
    if not outcome.success or not outcome.report_path:
        click.echo(
            f"maintenance reconciliation FAILED (run {outcome.run_id[:8]}): {outcome.error or 'no report produced'}",
            err=True,
        )
        sys.exit(1)
    shown = {**outcome.areas, **{k: n for k, n in outcome.counts.items() if n}}
    width = max(len(name) for name in shown) if shown else 10
    for area, count in outcome.areas.items():
        click.echo(f"{area:<{width}}  {count}")
    for kind, count in outcome.counts.items():
        if count:
            click.echo(f"  {kind:<{width - 2}}  {count}")
    click.echo(f"{'total':<{width}}  {outcome.differences}")
    click.echo(f"report: {outcome.report_path}")
    if outcome.differences:
        click.echo(
            f"{outcome.differences} difference(s) between EAM and ERP in {outcome.sites} (run {outcome.run_id[:8]})",
            err=True,
        )
        sys.exit(1)
    click.echo(f"EAM and ERP agree in {outcome.sites} (run {outcome.run_id[:8]})")
