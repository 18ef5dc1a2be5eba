"""Start the sandbox systems together and publish their connection facts in `sandbox.json`.

Table-driven: a system joins by adding a row to SYSTEMS with its package, settings class and port.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sandbox.server import RunningServer, serve_forever, start_in_thread


@dataclass(frozen=True)
class SystemSpec:
    name: str
    package: str  # module exposing create_app(settings) and connection_facts(settings, base_url)
    settings_class: str
    default_port: int


SYSTEMS: tuple[SystemSpec, ...] = (
    SystemSpec("plm", "sandbox.plm", "PLMSettings", 8101),
    SystemSpec("erp", "sandbox.erp", "ERPSettings", 8102),
    SystemSpec("eam", "sandbox.eam", "EAMSettings", 8103),
    SystemSpec("mes", "sandbox.mes", "MESSettings", 8104),
)
FACTS_FILE = "sandbox.json"
HOST = "127.0.0.1"


def default_data_dir() -> Path:
    return Path(os.environ.get("MFG_SYNC_DATA_DIR", ".mfg_sync")) / "sandbox"


@dataclass
class PreparedSystem:
    spec: SystemSpec
    settings: Any
    app: Any
    port: int
    module: Any

    def facts(self, base_url: str) -> dict[str, Any]:
        return self.module.connection_facts(self.settings, base_url)


def prepare(
    data_dir: Path | None,
    profile: str = "demo",
    seed: int = 7,
    ports: dict[str, int] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> list[PreparedSystem]:
    """Build each system's app. `data_dir=None` keeps everything in memory (tests)."""
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    prepared = []
    for spec in SYSTEMS:
        module = importlib.import_module(spec.package)
        settings_cls = getattr(module, spec.settings_class)
        known = {f.name for f in fields(settings_cls)}
        values: dict[str, Any] = {"profile": profile, "seed": seed}
        if data_dir is not None:
            values["db_path"] = str(data_dir / f"{spec.name}.db")
        values.update((overrides or {}).get(spec.name, {}))
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{spec.settings_class} has no setting(s) {', '.join(unknown)}")
        settings = settings_cls(**values)
        port = (ports or {}).get(spec.name, spec.default_port)
        prepared.append(PreparedSystem(spec, settings, module.create_app(settings), port, module))
    return prepared


def write_facts(data_dir: Path, facts: dict[str, dict[str, Any]]) -> Path:
    """sandbox.json holds sandbox-only credentials: readable by the user, never real secrets."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FACTS_FILE
    path.write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")
    return path


def read_facts(data_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    path = (data_dir or default_data_dir()) / FACTS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: start the sandbox first (mfg-sync sandbox up)")
    return json.loads(path.read_text())


@dataclass
class RunningSandbox:
    facts: dict[str, dict[str, Any]]
    servers: dict[str, RunningServer] = field(default_factory=dict)
    systems: dict[str, PreparedSystem] = field(default_factory=dict)

    def base_url(self, system: str) -> str:
        return self.servers[system].base_url

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


@contextmanager
def running_sandbox(
    data_dir: Path | None = None,
    profile: str = "demo",
    seed: int = 7,
    ports: dict[str, int] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> Iterator[RunningSandbox]:
    """All systems in background threads; ports default to free ones (0) unless given."""
    ports = ports or {spec.name: 0 for spec in SYSTEMS}
    sandbox = RunningSandbox(facts={})
    try:
        for system in prepare(data_dir, profile, seed, ports, overrides):
            server = start_in_thread(system.app, HOST, system.port)
            sandbox.servers[system.spec.name] = server
            sandbox.systems[system.spec.name] = system
            sandbox.facts[system.spec.name] = system.facts(server.base_url)
        if data_dir is not None:
            write_facts(data_dir, sandbox.facts)
        yield sandbox
    finally:
        sandbox.stop()


def up(
    data_dir: Path,
    profile: str = "demo",
    seed: int = 7,
    ports: dict[str, int] | None = None,
    host: str = HOST,
    on_ready: Callable[[dict[str, dict[str, Any]]], None] | None = None,
) -> None:
    """Serve every system from this process until interrupted (`mfg-sync sandbox up`)."""
    systems = prepare(data_dir, profile, seed, ports)
    facts = {s.spec.name: s.facts(f"http://{host}:{s.port}") for s in systems}
    write_facts(data_dir, facts)
    if on_ready:
        on_ready(facts)
    serve_forever([(s.app, host, s.port) for s in systems])
