"""`mfg-sync sandbox ...`: run the local stand-ins for the PLM, ERP and EAM, and look inside them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import httpx

from sandbox import launcher


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
@click.option("--fresh", is_flag=True, help="Delete the data dir first, so the systems start from their seed.")
def up(profile: str, seed: int, data_dir: Path | None, host: str, plm_port: int, erp_port: int, eam_port: int,
       fresh: bool) -> None:
    """Start the sandbox systems on loopback until Ctrl-C. State persists in the data dir."""
    data_dir = data_dir or launcher.default_data_dir()
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)

    def ready(facts: dict) -> None:
        for name, system in facts.items():
            click.echo(f"{name.upper():4} {system['base_url']}")
        click.echo(f"connection facts: {data_dir / launcher.FACTS_FILE}   (Ctrl-C stops)")

    launcher.up(data_dir, profile, seed, {"plm": plm_port, "erp": erp_port, "eam": eam_port}, host, on_ready=ready)


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


def format_summaries(summaries: dict[str, dict]) -> str:
    lines = []
    for name, summary in summaries.items():
        lines.append(f"{name.upper()}:")
        lines.extend(f"  {key:<28} {value}" for key, value in summary.items())
    return "\n".join(lines)
