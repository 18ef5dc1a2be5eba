"""The environment check every command runs before it starts Dagster or sends a request.

Under `MFG_SYNC_PROFILE=sandbox` the sandbox fills what is unset; otherwise each system a command needs must
be configured in full, and a sandbox's published secret is refused for anything but a loopback sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

from orchestration.triggers_config import webhook_secrets
from resources.connection_rules import ConfigurationError
from resources.erp import ERPResource
from resources.plm import PLMResource
from resources.sandbox_profile import apply_sandbox_profile
from resources.trigger_settings import TriggerSettingsError

SYSTEMS = ("plm", "erp", "eam", "webhooks")


def _check(system: str) -> None:
    if system == "plm":
        PLMResource.from_env().check_configuration()
    elif system == "erp":
        ERPResource.from_env().check_configuration()
    elif system == "eam":
        from resources.eam import EAMResource

        EAMResource.from_env().check_configuration()
    elif system == "webhooks":
        webhook_secrets()
    else:
        raise ValueError(f"unknown system {system!r}; expected one of {', '.join(SYSTEMS)}")


def validate_environment(systems: Iterable[str] = ("plm", "erp")) -> None:
    """Raise `ConfigurationError` naming every missing or refused variable of these systems."""
    apply_sandbox_profile()
    problems = []
    for system in systems:
        try:
            _check(system)
        except (ConfigurationError, TriggerSettingsError) as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigurationError("\n".join(problems))


def require_environment(*systems: str) -> None:
    """`validate_environment` for a command: a problem ends it with exit code 1 before any request."""
    try:
        validate_environment(systems)
    except ConfigurationError as exc:
        raise click.ClickException(
            f"configuration: {exc}\n(for the local sandbox, set MFG_SYNC_PROFILE=sandbox)"
        ) from None
