"""The `mfg-sync` command line. Each room owns its command group; this module only assembles them.

Groups are imported lazily so `mfg-sync sandbox up` does not pay for importing Dagster, and a broken
group never hides the others.
"""

from __future__ import annotations

import importlib

import click

# command name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "sandbox": "sandbox.cli:sandbox",
    "mappings": "orchestration.cli_mappings:mappings",
    "state": "orchestration.cli_state:state",
    "sync": "orchestration.cli_sync:sync",
    "assemblies": "orchestration.cli_sync:assemblies",
    "webhooks": "orchestration.cli_webhooks:webhooks",
    "events": "orchestration.cli_events:events",
    "breaker": "orchestration.cli_breaker:breaker",
    "reconcile": "orchestration.cli_reconcile:reconcile",
    "replay": "orchestration.cli_replay:replay",
    "tryton": "orchestration.tryton_server:tryton",
    "connections": "orchestration.cli_connections:connections",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            return getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            return _unavailable(cmd_name, target, exc)


def _unavailable(name: str, target: str, exc: Exception) -> click.Command:
    """A command whose module failed to import: it says why instead of breaking `--help` for all."""

    def explain() -> None:
        raise click.ClickException(f"'{name}' is unavailable: importing {target} failed: {exc}")

    return click.Command(name, callback=explain, help=f"(unavailable: {exc})")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Keep PLM, ERP and EAM in step."""


if __name__ == "__main__":  # pragma: no cover
    main()
