"""`PLMResource`: the Dagster resource through which every asset reads the (Arena-shaped) PLM.

    plm = PLMResource.from_env()                  # or PLMResource(url=..., password=EnvVar("..."))
    with plm.client(correlation_id=context.run_id, logger=context.log) as client:
        bom = client.released_bom("ASM-10001")
        context.add_output_metadata(client.metrics.flat())

Field defaults are the loopback sandbox PLM's. `from_env()` reads MFG_SYNC_PLM_URL, MFG_SYNC_PLM_EMAIL,
MFG_SYNC_PLM_PASSWORD (secret, as `EnvVar`) and MFG_SYNC_PLM_WORKSPACE_ID, filled by the sandbox profile only
under MFG_SYNC_PROFILE=sandbox. Before the first request a missing value, or the sandbox's published password
sent anywhere but a loopback sandbox, is a `ConfigurationError` naming the variable.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, ClassVar

import dagster as dg
from pydantic import Field

from resources.connection_rules import field_value, require_connection
from resources.env_tuning import resolved, tuning_from_env
from resources.plm.client import ArenaSession, PLMClient
from resources.plm.records import PLMDataError
from resources.plm.walk import ReleasedBom
from resources.sandbox_profile import apply_sandbox_profile
from resources.system_resource import HttpSystemResource
from resources.transport import ApiClient, QuotaHeaders, SessionLogin, install_log_redaction

__all__ = ["PLMResource", "PLMClient", "PLMDataError", "ReleasedBom", "ENV_VARS"]

ENV_VARS = {
    "url": "MFG_SYNC_PLM_URL",
    "email": "MFG_SYNC_PLM_EMAIL",
    "password": "MFG_SYNC_PLM_PASSWORD",
    "workspace_id": "MFG_SYNC_PLM_WORKSPACE_ID",
}
SANDBOX_DEFAULTS = {
    "url": "http://127.0.0.1:8101",
    "email": "engineer@sandbox.example",
    "password": "sandbox",
    "workspace_id": 100001,
}
# Arena reports its quota as requests remaining and the HTTP date when the count resets.
ARENA_QUOTA = QuotaHeaders(remaining="X-Arena-Requests-Remaining", reset="X-Arena-Next-Request-Limit-Reset")


class PLMResource(HttpSystemResource):
    """Connection, credentials and HTTP policy for the PLM; `client()` opens a session."""

    system: ClassVar[str] = "plm"
    url: str = Field(default=SANDBOX_DEFAULTS["url"], description="PLM REST base URL (without /v1).")
    email: str = Field(default=SANDBOX_DEFAULTS["email"], description="API user's login email.")
    password: str = Field(default=SANDBOX_DEFAULTS["password"], description="API user's password (use EnvVar).")
    workspace_id: int = Field(default=SANDBOX_DEFAULTS["workspace_id"], description="Arena workspace id.")
    read_timeout_s: float = 30.0
    rate_limit_requests: int = Field(default=10, description="Client-side limit: requests per period.")
    max_concurrency: int = Field(default=8, description="Threads reading BOM branches at once.")
    page_size: int = Field(default=400, description="Items per page when listing (Arena max 400).")
    assembly_categories: list[str] = Field(
        default_factory=lambda: ["Assembly"],
        description="Item categories whose BOM the walk reads; other items are treated as leaves.",
    )

    @classmethod
    def from_env(cls, **overrides: Any) -> PLMResource:
        """Build from the MFG_SYNC_PLM_* variables (the sandbox profile fills unset ones when active); the
        password, and any variable that is unset, stay `EnvVar`s so `check_configuration` names them."""
        apply_sandbox_profile()
        values: dict[str, Any] = {}
        for field, var in ENV_VARS.items():
            raw = os.environ.get(var, "").strip()
            if field == "password" or not raw:
                values[field] = dg.EnvVar.int(var) if field == "workspace_id" else dg.EnvVar(var)
            elif field == "workspace_id":
                try:
                    values[field] = int(raw)
                except ValueError:
                    raise ValueError(f"{var}={raw!r} is not a workspace id (a whole number)") from None
            else:
                values[field] = raw
        values.update(tuning_from_env("MFG_SYNC_PLM", cls.model_fields))
        return cls(**{**values, **overrides})

    def check_configuration(self) -> None:
        """Every connection fact set, and no published sandbox password for a PLM that is no loopback sandbox."""
        values = {var: field_value(getattr(self, field)) for field, var in ENV_VARS.items()}
        require_connection("plm", values, url=values[ENV_VARS["url"]])

    def policy_extras(self) -> dict[str, Any]:
        """Arena's quota headers, its session header as a secret, and a pool as wide as the BOM walk."""
        return {
            "quota": ARENA_QUOTA,
            "max_connections": max(10, self.max_concurrency + 2),
            "max_keepalive_connections": max(5, self.max_concurrency),
            "secret_headers": ("arena_session_id",),
        }

    def client(self, correlation_id: str | None = None, logger: Any = None) -> PLMClient:
        """A logged-out client (login happens on the first call); close it (or use `with`) to log out."""
        self.check_configuration()
        install_log_redaction(("resources.plm.resource",))
        password = resolved(self.password)
        cid = correlation_id or uuid.uuid4().hex
        session = ArenaSession(
            resolved(self.email), password, resolved(self.workspace_id), self.correlation_header, cid
        )
        api = ApiClient(
            self.system,
            resolved(self.url).rstrip("/"),
            policy=self.policy(),
            auth=SessionLogin(session.login, session.logout),
            correlation_id=cid,
            secrets=self._secrets(password),
            headers={"Accept": "application/json"},
        )
        return PLMClient(
            api,
            session,
            page_size=self.page_size,
            max_concurrency=self.max_concurrency,
            assembly_categories=self.assembly_categories,
            logger=logger,
        )

    @staticmethod
    def _secrets(password: str) -> list[str]:
        # The sandbox's published default ("sandbox") is no secret; registering it would mask the word
        # "sandbox" in every log line of the process.
        return [] if password == SANDBOX_DEFAULTS["password"] else [password]
