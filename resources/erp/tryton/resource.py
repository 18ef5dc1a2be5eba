"""`TrytonResource`: connection, credentials and HTTP policy for a Tryton ERP; `client()` opens a session.

Env vars read by `TrytonResource.from_env()`: MFG_SYNC_TRYTON_URL, MFG_SYNC_TRYTON_DATABASE,
MFG_SYNC_TRYTON_USER, MFG_SYNC_TRYTON_PASSWORD (as a `dagster.EnvVar`). Only when no URL is configured,
the local server's `tryton.json` (written by `mfg-sync tryton up` in `$MFG_SYNC_DATA_DIR/tryton`) is used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg

from resources.env_tuning import resolved, tuning_from_env
from resources.erp.tryton.client import TrytonERPClient
from resources.erp.tryton.rpc import SYSTEM, TrytonRPC, TrytonSession
from resources.transport import ApiClient, RetryPolicy, Timeouts, TransportPolicy

LOCAL_URL = "http://127.0.0.1:8105"


def local_connection_file() -> Path:
    """Where `mfg-sync tryton up` writes the local server's connection (url, database, user, password)."""
    base = Path(os.environ.get("MFG_SYNC_DATA_DIR", Path(__file__).resolve().parents[3] / ".mfg_sync"))
    return base / "tryton" / "tryton.json"


class TrytonResource(dg.ConfigurableResource):
    """A Tryton database over JSON-RPC. Defaults point at `mfg-sync tryton up`."""

    url: str = LOCAL_URL
    database: str = "mfgsync"
    user: str = "admin"
    password: str = ""
    language: str = "en"
    plant: str = "WH"  # fills the canonical BOM key; Tryton BOMs have no plant
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    max_attempts: int | None = None  # attempt cap; unset: the retry budget decides
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    total_budget_s: float = 120.0
    batch_size: int = 80  # records per create call: larger calls overflow SQLite's parser (HTTP 503)
    max_connections: int = 4

    def __repr_args__(self):  # never show a secret in a repr
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "password" else value)

    @classmethod
    def from_env(cls, prefix: str = "MFG_SYNC_TRYTON", **overrides: Any) -> TrytonResource:
        """`{prefix}_URL`, `_DATABASE`, `_USER`, `_PASSWORD` (default MFG_SYNC_TRYTON_*, a connection's own
        prefix otherwise); without a URL, the local server's tryton.json if it exists."""
        env = os.environ
        values: dict[str, Any] = {}
        if not env.get(f"{prefix}_URL") and local_connection_file().exists():
            local = json.loads(local_connection_file().read_text(encoding="utf-8"))
            values.update({k: local[k] for k in ("url", "database", "user", "password") if k in local})
        for field, var in (
            ("url", f"{prefix}_URL"),
            ("database", f"{prefix}_DATABASE"),
            ("user", f"{prefix}_USER"),
        ):
            if env.get(var):
                values[field] = env[var]
        if env.get(f"{prefix}_PASSWORD"):
            values["password"] = dg.EnvVar(f"{prefix}_PASSWORD")
        # the same tuning knobs as the other systems: {prefix}_RETRY_BUDGET_S, _MAX_ATTEMPTS, _READ_TIMEOUT_S...
        values.update(tuning_from_env(prefix, cls.model_fields))
        return cls(**{**values, **overrides})

    def policy(self) -> TransportPolicy:
        return TransportPolicy(
            timeouts=Timeouts(
                connect_s=self.connect_timeout_s,
                read_s=self.read_timeout_s,
                write_s=self.read_timeout_s,
                pool_s=self.read_timeout_s,
            ),
            retry=RetryPolicy(
                max_attempts=self.max_attempts,
                backoff_initial_s=self.backoff_initial_s,
                backoff_max_s=self.backoff_max_s,
                total_budget_s=self.total_budget_s,
            ),
            max_connections=self.max_connections,
            max_keepalive_connections=self.max_connections,
        )

    def client(self, correlation_id: str | None = None, logger: Any = None) -> TrytonERPClient:
        """A new thread-safe client (close it, or use `with`)."""
        password = resolved(self.password)
        api = ApiClient(
            SYSTEM,
            self.url.rstrip("/"),
            policy=self.policy(),
            auth=TrytonSession(self.database, self.user, password, self.language),
            correlation_id=correlation_id,
            secrets=[password] if password else [],
        )
        return TrytonERPClient(
            TrytonRPC(api, self.database), plant=self.plant, batch_size=self.batch_size, logger=logger
        )

    def test_connection(self) -> dict[str, Any]:
        """Latency, server version and a read; never returns a secret."""
        with self.client() as tryton:
            return tryton.test_connection()
