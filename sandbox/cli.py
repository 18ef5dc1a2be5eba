"""`mfg-sync sandbox ...`: run the local stand-ins for the PLM, ERP and EAM, look inside them, and release a
change order in the sandbox PLM."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
import httpx

from sandbox import launcher
from sandbox.plm.change_order import BomEdits, ChangeOrderError, NewLine, release_change


@click.group()
def sandbox() -> None:
    """Local, protocol-faithful PLM, ERP and EAM systems for demos and tests."""


@sandbox.command("up")
@click.option("--profile", type=click.Choice(["demo", "large"]), default="demo", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Same profile and seed, same data.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where state and sandbox.json live [default: $MFG_SYNC_DATA_DIR/sandbox].",
)
@click.option("--host", default=launcher.HOST, show_default=True)
@click.option("--plm-port", type=int, default=8101, show_default=True)
@click.option("--erp-port", type=int, default=8102, show_default=True)
@click.option("--eam-port", type=int, default=8103, show_default=True)
@click.option("--mes-port", type=int, default=8104, show_default=True)
@click.option("--fresh", is_flag=True, help="Delete the data dir first, so the systems start from their seed.")
def up(
    profile: str,
    seed: int,
    data_dir: Path | None,
    host: str,
    plm_port: int,
    erp_port: int,
    eam_port: int,
    mes_port: int,
    fresh: bool,
) -> None:
    """Start the sandbox systems on loopback until Ctrl-C. State persists in the data dir."""
    data_dir = data_dir or launcher.default_data_dir()
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)

    def ready(facts: dict) -> None:
        for name, system in facts.items():
            click.echo(f"{name.upper():4} {system['base_url']}")
        click.echo(f"connection facts: {data_dir / launcher.FACTS_FILE}   (Ctrl-C stops)")

    launcher.up(
        data_dir,
        profile,
        seed,
        {"plm": plm_port, "erp": erp_port, "eam": eam_port, "mes": mes_port},
        host,
        on_ready=ready,
    )


@sandbox.command("status")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
def status(data_dir: Path | None, as_json: bool) -> None:
    """Print what each running sandbox system holds."""
    try:
        facts = launcher.read_facts(data_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    summaries = {}
    for name, system in facts.items():
        try:
            summaries[name] = httpx.get(f"{system['base_url']}/_sandbox/summary", timeout=5).json()
        except httpx.HTTPError as exc:
            raise click.ClickException(f"{name} at {system['base_url']} is not answering: {exc}") from exc
    if as_json:
        click.echo(json.dumps(summaries, indent=2))
    else:
        click.echo(format_summaries(summaries))


def _new_line(text: str) -> NewLine:
    try:
        line, component, quantity = text.split(":")
        return NewLine(int(line), component, Decimal(quantity))
    except (ValueError, InvalidOperation):
        raise click.BadParameter(f"{text!r}: expected LINE:COMPONENT:QUANTITY, e.g. 90:PRT-200125:2") from None


@sandbox.command("change")
@click.option("--item", "number", required=True, help="The item whose BOM the change order edits, e.g. ASM-10207.")
@click.option(
    "--line", "lines", type=int, multiple=True, help="Find number of a line to re-quantify (with --quantity)."
)
@click.option(
    "--quantity", "quantities", type=Decimal, multiple=True, help="The new quantity of each --line, in order."
)
@click.option("--add", "added", multiple=True, help="A line to add as LINE:COMPONENT:QUANTITY (repeatable).")
@click.option("--remove", "removed", type=int, multiple=True, help="Find number of a line to remove (repeatable).")
@click.option("--title", default=None, help="The change order's title [default: BOM change of ITEM].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def change(
    number: str,
    lines: tuple[int, ...],
    quantities: tuple[Decimal, ...],
    added: tuple[str, ...],
    removed: tuple[int, ...],
    title: str | None,
    data_dir: Path | None,
) -> None:
    """Create, fill and release (EFFECTIVE) a change order in the sandbox PLM; prints its number."""
    if len(lines) != len(quantities):
        raise click.UsageError("give one --quantity for each --line")
    edits = BomEdits(dict(zip(lines, quantities, strict=True)), [_new_line(a) for a in added], list(removed))
    if not (edits.quantities or edits.add or edits.remove):
        raise click.UsageError("nothing to change: give --line/--quantity, --add or --remove")
    try:
        plm = launcher.read_facts(data_dir)["plm"]
        number_released = release_change(
            plm["base_url"],
            number,
            edits,
            email=plm["email"],
            password=plm["password"],
            workspace_id=plm["workspace_id"],
            title=title,
        )
    except (FileNotFoundError, ChangeOrderError, httpx.HTTPError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{number_released} released: {number} has a new effective revision (the next sync picks it up)")


def format_summaries(summaries: dict[str, dict]) -> str:
    lines = []
    for name, summary in summaries.items():
        lines.append(f"{name.upper()}:")
        lines.extend(f"  {key:<28} {value}" for key, value in summary.items())
    return "\n".join(lines)
