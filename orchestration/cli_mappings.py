"""`mfg-sync mappings`: check mapping specs before anything is mapped or written."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from resources.erp.connections import ConnectionsError, is_connections_file, parse_connections
from resources.erp.target_fields import KIND_MODULES, declared_target_fields
from sync.erp_to_eam_spec import load_erp_to_eam_spec
from sync.maintenance_spec import MaintenanceSpecError, load_maintenance_spec
from sync.shop_floor_spec import ShopFloorSpecError, load_shop_floor_spec
from sync.spec import MappingSpec, SpecError
from sync.spec_builder import load_spec
from sync.spec_targets import require_known_target_fields

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "mappings"


@click.group()
def mappings() -> None:
    """Mapping specs (mappings/*.yaml)."""


@mappings.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=DEFAULT_DIR,
    show_default=True,
    help="Folder whose *.yaml specs are checked when no FILE is given.",
)
@click.option(
    "--erp-kind",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", *sorted(KIND_MODULES)]),
    help="The ERP kind whose fields the specs' target fields must be (auto: the kind whose entities a spec targets).",
)
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
            versions.append(_check_one(path, erp_kind))
        except SpecError as exc:
            problems += len(exc.problems)
            for problem in exc.problems:
                click.echo(str(problem))
        except (MaintenanceSpecError, ShopFloorSpecError) as exc:
            problems += 1
            click.echo(str(exc))
        except ConnectionsError as exc:
            problems += len(exc.problems)
            for problem in exc.problems:
                click.echo(problem)
    if problems:
        click.echo(f"{problems} problem(s) in {len(paths) - len(versions)} of {len(paths)} spec(s)", err=True)
        raise SystemExit(1)
    click.echo(f"{len(paths)} specs OK (version {', '.join(versions)})")


def _check_one(path: Path, erp_kind: str) -> str:
    """Validate one spec file; returns its version. A maintenance spec (EAM -> ERP rules) has its own reader."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        raw = None  # load_spec names the file and what is wrong with it
    if isinstance(raw, dict) and "entities" not in raw and "reservation" in raw:
        return load_maintenance_spec(path).version
    if is_connections_file(raw):  # mappings/connections.yaml: the ERP connections, not a spec
        return f"{len(parse_connections(raw, str(path)))} connections"
    if isinstance(raw, dict) and "entities" not in raw and "asset_master" in raw:
        return load_erp_to_eam_spec(path).version  # ERP -> EAM stock and asset master rules
    if isinstance(raw, dict) and "entities" not in raw and "product_order" in raw:
        return load_shop_floor_spec(path).version
    if isinstance(raw, dict) and "entities" not in raw and "measurements" in raw:
        from sync.condition import load_rules  # condition events -> work requests: debounce, severity, reorder

        rules = load_rules(path)
        return str(getattr(rules, "version", "") or "condition rules")
    spec = load_spec(path)
    kind = _kind_of(spec) if erp_kind == "auto" else erp_kind
    if kind is not None:
        require_known_target_fields(spec, declared_target_fields(kind), f"the {kind.upper()} ERP")
    return spec.version


def _kind_of(spec: MappingSpec) -> str | None:
    """The ERP kind that declares every entity the spec targets; None when no kind declares them (a kind
    without a field list, whose target fields are checked by its own client at write time)."""
    targets = {entity.target for entity in spec.entities.values()}
    for kind in sorted(KIND_MODULES):
        if targets <= set(declared_target_fields(kind)):
            return kind
    return None
