"""`mfg-sync mappings`: check mapping specs before anything is mapped or written."""

from __future__ import annotations

from pathlib import Path

import click

from resources.erp.target_fields import KIND_MODULES, declared_target_fields
from sync.spec import SpecError
from sync.spec_builder import load_spec
from sync.spec_targets import require_known_target_fields

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "mappings"


@click.group()
def mappings() -> None:
    """Mapping specs (mappings/*.yaml)."""


@mappings.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True,
              help="Folder whose *.yaml specs are checked when no FILE is given.")
@click.option("--erp-kind", default="sap", show_default=True, type=click.Choice(sorted(KIND_MODULES)),
              help="The ERP kind whose fields the specs' target fields must be.")
def check(files: tuple[Path, ...], directory: Path, erp_kind: str) -> None:
    """Validate FILE... (default: every *.yaml in the mappings folder), target fields included; exit 1 on any
    problem."""
    paths = list(files) or sorted(directory.glob("*.yaml"))
    if not paths:
        click.echo(f"no mapping specs found in {directory}", err=True)
        raise SystemExit(1)
    problems, versions = 0, []
    for path in paths:
        try:
            spec = load_spec(path)
            require_known_target_fields(spec, declared_target_fields(erp_kind), f"the {erp_kind.upper()} ERP")
            versions.append(spec.version)
        except SpecError as exc:
            problems += len(exc.problems)
            for problem in exc.problems:
                click.echo(str(problem))
    if problems:
        click.echo(f"{problems} problem(s) in {len(paths) - len(versions)} of {len(paths)} spec(s)", err=True)
        raise SystemExit(1)
    click.echo(f"{len(paths)} specs OK (version {', '.join(versions)})")
