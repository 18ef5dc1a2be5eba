"""The local Tryton behind `make demo` and `make dev`: the `tryton` connection's server, started as
`mfg-sync tryton up` starts it (database in `$MFG_SYNC_DATA_DIR/tryton`, created on first use; `tryton.json`
written), so both connections are wired. Not started when the connection points elsewhere
(`MFG_SYNC_TRYTON_URL`: a demo never writes to a real Tryton) or is disabled; the reason is returned."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

from orchestration.cli_connections import refusal
from orchestration.settings import data_dir
from orchestration.tryton_server import TrytonServer, TrytonServerError, _write_secret, local_server
from resources.erp.connections import load_connections

CONNECTION = "tryton"


def _why_not() -> str:
    conn = load_connections().get(CONNECTION)
    if conn is None:
        return f"mappings/connections.yaml has no {CONNECTION!r} connection"
    if os.environ.get(f"{conn.env_prefix}_URL"):
        return f"{conn.env_prefix}_URL points at another Tryton: the local one is not started, nothing is synced to it"
    return refusal(conn) or ""


@contextmanager
def local_tryton(port: int = 0) -> Iterator[tuple[TrytonServer | None, str]]:
    """(the running server, "") or (None, why it is not running); stopped on exit."""
    reason = _why_not()
    server = None
    if not reason:
        base = data_dir() / "tryton"
        try:
            server = local_server(base, port=port).start()
            _write_secret(base / "tryton.json", json.dumps(server.connection(), indent=2))
        except (TrytonServerError, OSError) as exc:
            server, reason = None, f"the local Tryton did not start ({exc}); `make tryton` installs it"
    try:
        yield server, reason
    finally:
        if server is not None:
            server.stop()
