"""What every outside-system connection must satisfy before the first request: its secrets are set, and a
secret the sandbox publishes is never sent to a system that is not a sandbox on this machine.

    require_connection("erp", {"MFG_SYNC_ERP_URL": url, "MFG_SYNC_ERP_CLIENT_SECRET": secret}, url, "oauth")
    refuse_published_secret("plm", url, "MFG_SYNC_PLM_PASSWORD", password)
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

# The sandboxes' published credentials (sandbox/plm, sandbox/erp): anyone can read them, so they only
# ever authenticate against a sandbox on loopback.
PUBLISHED_SANDBOX_SECRETS: dict[str, str] = {
    "MFG_SYNC_PLM_PASSWORD": "sandbox",
    "MFG_SYNC_ERP_CLIENT_SECRET": "sandbox-erp-secret",
    "MFG_SYNC_ERP_PASSWORD": "sandbox-erp-password",
    "MFG_SYNC_PLM_WEBHOOK_SECRET": "whsec_" + base64.b64encode(b"mfg-sync sandbox PLM webhook key").decode(),
    "MFG_SYNC_EAM_APIKEY": "sandbox-eam-apikey",
    "MFG_SYNC_EAM_PASSWORD": "sandbox",
    "MFG_SYNC_MES_API_KEY": "sandbox-mes-api-key",
    "MFG_SYNC_MES_WEBHOOK_SECRET": "mfg-sync-sandbox-mes-webhook-secret",
    "MFG_SYNC_EAM_WEBHOOK_SECRET": "mfg-sync-sandbox-eam-publish-secret",  # sandbox/eam/publish.py
}
SYSTEM_NAMES = {"plm": "PLM", "erp": "ERP", "eam": "EAM", "mes": "MES"}


class ConfigurationError(ValueError):
    """The environment cannot run a sync: a variable is missing or holds a value that is refused.
    The message names each variable; it never carries a secret's value."""


def field_value(value: Any) -> Any:
    """A resource field's value; an `EnvVar`/`EnvVar.int` field (outside a run it is still the variable's
    name) is read from the environment, None when unset."""
    name = getattr(value, "env_var_name", None)  # both kinds carry it; IntEnvVar is no EnvVar subclass
    return os.environ.get(name) if isinstance(name, str) else value


def is_loopback(url: str | None) -> bool:
    """True when `url` points at this machine (127.0.0.0/8, ::1, localhost): where a sandbox can run."""
    host = (urlsplit(url or "").hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _needed_for(system: str, url: str | None, auth_mode: str | None) -> str:
    where = f" at {url}" if url else ""
    mode = f" with auth mode {auth_mode}" if auth_mode else ""
    return f"needed for the {SYSTEM_NAMES.get(system, system)}{where}{mode}"


def missing_variables(
    system: str, values: Mapping[str, object], url: str | None = None, auth_mode: str | None = None
) -> list[str]:
    """One line per variable in `values` that is unset or empty, e.g.
    "MFG_SYNC_ERP_CLIENT_SECRET is not set (needed for the ERP at https://erp.example.com with auth mode oauth)"."""
    return [
        f"{name} is not set ({_needed_for(system, url, auth_mode)})"
        for name, value in values.items()
        if value is None or str(value).strip() == ""
    ]


def published_secret_problem(system: str, url: str | None, variable: str, value: object) -> str | None:
    """Why `value` may not be sent to `url`, when it is a sandbox's published secret and `url` is no sandbox."""
    published = PUBLISHED_SANDBOX_SECRETS.get(variable)
    if published is None or value is None:
        return None
    offered = str(value).split() if variable.endswith("_WEBHOOK_SECRET") else [str(value)]
    if published not in offered or is_loopback(url):
        return None
    return (
        f"{variable} holds the sandbox's published value, which is refused for the "
        f"{SYSTEM_NAMES.get(system, system)} at {url or '(no URL set)'}: set the real secret"
    )


def refuse_published_secret(system: str, url: str | None, variable: str, value: object) -> None:
    problem = published_secret_problem(system, url, variable, value)
    if problem:
        raise ConfigurationError(problem)


def require_connection(
    system: str, values: Mapping[str, object], url: str | None = None, auth_mode: str | None = None
) -> None:
    """Raise one `ConfigurationError` listing every missing variable and every refused published secret."""
    problems = missing_variables(system, values, url, auth_mode)
    problems += [p for name, value in values.items() if (p := published_secret_problem(system, url, name, value))]
    if problems:
        raise ConfigurationError("; ".join(problems))
