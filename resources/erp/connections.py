"""ERP connections as named objects: `mappings/connections.yaml` (`MFG_SYNC_CONNECTIONS`) read and validated.

Each connection names its kind (`sap`, `tryton`), the variable NAMES of its endpoint and secrets (never
values), its mapping spec and whether it is enabled by default. `sap` is the default connection: the
commands and jobs without a connection choice use it. Every problem is reported as
`file: connections.NAME.field: what is wrong`, all at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONNECTION = "sap"
KINDS = ("sap", "tryton")
CONNECTIONS_ENV = "MFG_SYNC_CONNECTIONS"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = REPO_ROOT / "mappings" / "connections.yaml"
FIELDS = ("kind", "description", "endpoint", "secrets", "mapping", "enabled")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")  # it becomes part of job names, asset keys and resource keys
VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]{1,99}$")
SAP_ENDPOINT = "MFG_SYNC_ERP_URL"  # the SAP kind is wired from the MFG_SYNC_ERP_* variables (one SAP connection)


class ConnectionsError(ValueError):
    """A connections file that cannot be used; `.problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Connection:
    name: str
    kind: str
    endpoint: str  # the variable holding the URL
    secrets: tuple[str, ...]  # the variables holding its secrets
    mapping: Path
    enabled: bool  # the file's default; the state store may override it
    description: str = ""

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_CONNECTION

    @property
    def flow(self) -> str:
        """The BOM-sync flow (job, state-store runs and dead letters) of this connection."""
        return "bom_sync" if self.is_default else f"bom_sync_{self.name}"

    @property
    def resource_key(self) -> str:
        return "erp" if self.is_default else f"erp_{self.name}"

    @property
    def spec_resource_key(self) -> str:
        return "mapping_spec" if self.is_default else f"mapping_spec_{self.name}"

    @property
    def env_prefix(self) -> str:
        """`MFG_SYNC_TRYTON` for `MFG_SYNC_TRYTON_URL`: the kind's other variables share it."""
        return self.endpoint.removesuffix("_URL")


def connections_path() -> Path:
    return Path(os.environ.get(CONNECTIONS_ENV) or DEFAULT_FILE).resolve()


def is_connections_file(raw: Any) -> bool:
    return isinstance(raw, dict) and "connections" in raw and "entities" not in raw


def _problems_of(name: str, entry: Any, where: str) -> list[str]:
    at = f"{where}: connections.{name}"
    if not NAME.match(str(name)):
        return [f"{at}: the name must be lower-case letters, digits and _ (it names jobs and asset keys)"]
    if not isinstance(entry, dict):
        return [f"{at}: expected a mapping of {', '.join(FIELDS)}"]
    problems = [f"{at}.{key}: unknown field (known: {', '.join(FIELDS)})" for key in entry if key not in FIELDS]
    problems += [f"{at}.{key}: required" for key in ("kind", "endpoint", "mapping", "enabled") if key not in entry]
    kind, endpoint = entry.get("kind"), entry.get("endpoint")
    if "kind" in entry and kind not in KINDS:
        problems.append(f"{at}.kind: {kind!r} is not a known ERP kind ({', '.join(KINDS)})")
    if "endpoint" in entry and not (isinstance(endpoint, str) and VARIABLE.match(endpoint)):
        problems.append(f"{at}.endpoint: {endpoint!r} must be the NAME of an environment variable, not a value")
    elif kind == "sap" and endpoint != SAP_ENDPOINT:
        problems.append(f"{at}.endpoint: the sap kind reads {SAP_ENDPOINT} (one SAP connection), not {endpoint!r}")
    elif kind == "tryton" and isinstance(endpoint, str) and not endpoint.endswith("_URL"):
        problems.append(
            f"{at}.endpoint: {endpoint!r} must end in _URL (its _DATABASE, _USER, _PASSWORD share the prefix)"
        )
    secrets = entry.get("secrets", [])
    if not isinstance(secrets, list) or not all(isinstance(s, str) and VARIABLE.match(s) for s in secrets):
        problems.append(f"{at}.secrets: must be a list of environment variable NAMES, never values")
    if "enabled" in entry and not isinstance(entry["enabled"], bool):
        problems.append(f"{at}.enabled: {entry['enabled']!r} must be true or false")
    mapping = entry.get("mapping")
    if "mapping" in entry and not (isinstance(mapping, str) and (REPO_ROOT / mapping).is_file()):
        problems.append(f"{at}.mapping: {mapping!r} is not a mapping spec file (paths are relative to the project)")
    return problems


def parse_connections(raw: Any, where: str) -> dict[str, Connection]:
    """The connections of a parsed file; raises `ConnectionsError` listing every problem."""
    if not is_connections_file(raw) or not isinstance(raw["connections"], dict) or not raw["connections"]:
        raise ConnectionsError([f"{where}: connections: expected a mapping of connection name -> its fields"])
    problems = [f"{where}: {key}: unknown top-level field" for key in raw if key != "connections"]
    for name, entry in raw["connections"].items():
        problems += _problems_of(name, entry, where)
    if DEFAULT_CONNECTION not in raw["connections"]:
        problems.append(f"{where}: connections.{DEFAULT_CONNECTION}: required (the default connection)")
    if problems:
        raise ConnectionsError(problems)
    return {
        name: Connection(
            name=name,
            kind=entry["kind"],
            endpoint=entry["endpoint"],
            secrets=tuple(entry.get("secrets", [])),
            mapping=(REPO_ROOT / entry["mapping"]).resolve(),
            enabled=entry["enabled"],
            description=str(entry.get("description", "")),
        )
        for name, entry in raw["connections"].items()
    }


def load_connections(path: str | Path | None = None) -> dict[str, Connection]:
    """The connections file in force (`MFG_SYNC_CONNECTIONS`, default `mappings/connections.yaml`)."""
    path = Path(path) if path else connections_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConnectionsError([f"{path}: cannot be read: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConnectionsError([f"{path}: not valid YAML: {exc}"]) from None
    return parse_connections(raw, str(path))


def is_enabled(conn: Connection, switches: dict[str, bool]) -> bool:
    """Enabled unless switched off from the command line (`switches`, from the state store) or in the file."""
    return switches.get(conn.name, conn.enabled)


def disabled_reason(conn: Connection, switches: dict[str, bool]) -> str | None:
    """Why `conn` must not sync now (for a SkipReason or a refusal), or None when it is enabled."""
    if is_enabled(conn, switches):
        return None
    return f"ERP connection {conn.name!r} is disabled (`mfg-sync connections enable {conn.name}` turns it back on)"


def connection(name: str, path: str | Path | None = None) -> Connection:
    """One connection by name; a clear error listing the known ones otherwise."""
    known = load_connections(path)
    if name not in known:
        raise ConnectionsError([f"unknown ERP connection {name!r}; known: {', '.join(sorted(known))}"])
    return known[name]
