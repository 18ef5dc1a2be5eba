"""The sandbox profile: `MFG_SYNC_PROFILE=sandbox` is the only way sandbox connection values reach a run.

`make demo`, `make dev`, their launchers and the test suite set it. It fills each connection variable that
is unset with the running sandbox's value (its `sandbox.json` under the data dir) or else the sandbox's
published default. Without the profile nothing is filled: a missing variable is an error naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from resources.connection_rules import PUBLISHED_SANDBOX_SECRETS, ConfigurationError
from resources.settings import sandbox_dir

PROFILE_ENV = "MFG_SYNC_PROFILE"
SANDBOX_PROFILE = "sandbox"
FACTS_FILE = "sandbox.json"
ARENA_PACE_PER_S = 10  # the PLM client's default pace (Arena's request limit)
# variable -> (system block of sandbox.json, key there); the token URL is left out: it follows the ERP URL.
FACT_KEYS: dict[str, tuple[str, str]] = {
    "MFG_SYNC_PLM_URL": ("plm", "base_url"),
    "MFG_SYNC_PLM_EMAIL": ("plm", "email"),
    "MFG_SYNC_PLM_PASSWORD": ("plm", "password"),
    "MFG_SYNC_PLM_WORKSPACE_ID": ("plm", "workspace_id"),
    "MFG_SYNC_PLM_WEBHOOK_SECRET": ("plm", "webhook_secret"),
    "MFG_SYNC_ERP_URL": ("erp", "base_url"),
    "MFG_SYNC_ERP_CLIENT_ID": ("erp", "client_id"),
    "MFG_SYNC_ERP_CLIENT_SECRET": ("erp", "client_secret"),
    "MFG_SYNC_ERP_USERNAME": ("erp", "username"),
    "MFG_SYNC_ERP_PASSWORD": ("erp", "password"),
    "MFG_SYNC_EAM_URL": ("eam", "base_url"),
    "MFG_SYNC_EAM_APIKEY": ("eam", "apikey"),
    "MFG_SYNC_EAM_USER": ("eam", "username"),
    "MFG_SYNC_EAM_PASSWORD": ("eam", "password"),
    "MFG_SYNC_EAM_SITEID": ("eam", "siteid"),
    "MFG_SYNC_MES_URL": ("mes", "base_url"),
    "MFG_SYNC_MES_API_KEY": ("mes", "api_key"),
    "MFG_SYNC_MES_WEBHOOK_SECRET": ("mes", "webhook_secret"),
}
PUBLISHED_DEFAULTS: dict[str, str] = {
    "MFG_SYNC_PLM_URL": "http://127.0.0.1:8101",
    "MFG_SYNC_PLM_EMAIL": "engineer@sandbox.example",
    "MFG_SYNC_PLM_WORKSPACE_ID": "100001",
    "MFG_SYNC_ERP_URL": "http://127.0.0.1:8102",
    "MFG_SYNC_ERP_CLIENT_ID": "MFG_SYNC_COMM_USER",
    "MFG_SYNC_ERP_USERNAME": "MFG_SYNC_API",
    "MFG_SYNC_ERP_PLANT": "1000",
    "MFG_SYNC_EAM_URL": "http://127.0.0.1:8103",
    "MFG_SYNC_EAM_USER": "mxintadm",
    "MFG_SYNC_MES_URL": "http://127.0.0.1:8104",
    **PUBLISHED_SANDBOX_SECRETS,
}


def sandbox_profile_active(env: Mapping[str, str] | None = None) -> bool:
    """True under `MFG_SYNC_PROFILE=sandbox`; any other non-empty value is refused, naming the variable."""
    value = (os.environ if env is None else env).get(PROFILE_ENV, "").strip().lower()
    if value and value != SANDBOX_PROFILE:
        raise ConfigurationError(
            f"{PROFILE_ENV}={value!r}: the only profile is {SANDBOX_PROFILE!r} (or leave it unset)"
        )
    return value == SANDBOX_PROFILE


def sandbox_values(
    facts: Mapping[str, Mapping[str, Any]] | None = None, facts_dir: Path | None = None
) -> dict[str, str]:
    """Each connection variable's sandbox value: `facts` (a running sandbox's), else its `sandbox.json`,
    else the published defaults."""
    if facts is None:
        path = (facts_dir or sandbox_dir()) / FACTS_FILE
        facts = json.loads(path.read_text()) if path.exists() else {}
    values = dict(PUBLISHED_DEFAULTS)
    for variable, (system, key) in FACT_KEYS.items():
        found = facts.get(system, {}).get(key)
        if found not in (None, ""):
            values[variable] = str(found)
    allowed = facts.get("plm", {}).get("requests_per_s")
    if allowed and float(allowed) * 0.8 > ARENA_PACE_PER_S:  # pace just under what the running sandbox allows
        values["MFG_SYNC_PLM_RATE_LIMIT"] = str(int(float(allowed) * 0.8))
    return values


def apply_sandbox_profile(
    env: MutableMapping[str, str] | None = None,
    facts: Mapping[str, Mapping[str, Any]] | None = None,
    overwrite: bool = False,
) -> list[str]:
    """Under the profile, fill the unset connection variables of `env` (default: the process environment)
    with sandbox values; `overwrite` replaces set ones too (a launcher that started its own sandbox).
    Returns the variables written; without the profile writes nothing."""
    target = os.environ if env is None else env
    if not sandbox_profile_active(target):
        return []
    written = []
    for variable, value in sandbox_values(facts).items():
        if overwrite or not target.get(variable, "").strip():
            target[variable] = value
            written.append(variable)
    return written
