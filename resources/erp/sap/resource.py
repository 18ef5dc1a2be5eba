"""`ERPResource`: the Dagster resource through which every asset reaches the SAP S/4HANA (OData v2) ERP.

    erp = ERPResource.from_env()                  # or ERPResource(url=..., client_secret=EnvVar("..."))
    with erp.client(correlation_id=context.run_id, logger=context.log) as client:
        boms = client.read_boms(["ASM-10001"], plant=client.plant)

Field defaults are the loopback sandbox ERP's. `ERPResource.from_env()` reads MFG_SYNC_ERP_URL,
MFG_SYNC_ERP_AUTH_MODE (oauth|basic, default oauth), MFG_SYNC_ERP_TOKEN_URL (optional), MFG_SYNC_ERP_CLIENT_ID
and MFG_SYNC_ERP_CLIENT_SECRET (oauth) or MFG_SYNC_ERP_USERNAME and MFG_SYNC_ERP_PASSWORD (basic), and
MFG_SYNC_ERP_PLANT; the sandbox profile fills them only under MFG_SYNC_PROFILE=sandbox. Before the first
request a missing one, or a published sandbox secret sent anywhere but a loopback sandbox, is a
`ConfigurationError` naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import dagster as dg

from resources.connection_rules import (
    ConfigurationError,
    field_value,
    refuse_published_secret,
    require_connection,
)
from resources.env_tuning import resolved, tuning_from_env
from resources.erp.sap.batch import PRODUCT_SERVICE
from resources.erp.sap.client import ERPClient
from resources.erp.sap.http import SapCsrf
from resources.erp.sap.payloads import TARGET_FIELDS
from resources.sandbox_profile import apply_sandbox_profile
from resources.system_resource import HttpSystemResource
from resources.transport import ApiClient, BasicAuth, OAuth2ClientCredentials, Timeouts

SANDBOX_URL = "http://127.0.0.1:8102"
TOKEN_PATH = "/sap/bc/sec/oauth2/token"
# field -> variable, per auth mode: the connection facts and the secret that mode needs
CONNECTION_VARS = {"url": "MFG_SYNC_ERP_URL", "plant": "MFG_SYNC_ERP_PLANT"}
AUTH_VARS = {
    "oauth": {"client_id": "MFG_SYNC_ERP_CLIENT_ID", "client_secret": "MFG_SYNC_ERP_CLIENT_SECRET"},
    "basic": {"username": "MFG_SYNC_ERP_USERNAME", "password": "MFG_SYNC_ERP_PASSWORD"},
}
SECRET_FIELDS = ("client_secret", "password")


class ERPResource(HttpSystemResource):
    """The SAP S/4HANA ERP (OData v2). Defaults point at the local sandbox ERP."""

    system: ClassVar[str] = "erp"
    url: str = SANDBOX_URL
    auth_mode: str = "oauth"  # "oauth" (client credentials) or "basic"
    token_url: str | None = None  # default: {url}/sap/bc/sec/oauth2/token
    client_id: str = "MFG_SYNC_COMM_USER"
    client_secret: str = "sandbox-erp-secret"
    username: str = "MFG_SYNC_API"
    password: str = "sandbox-erp-password"
    token_leeway_s: float = 30.0  # renew this long before the token expires
    plant: str = "1000"
    read_timeout_s: float = 60.0
    retry_after_cap_s: float = 60.0
    rate_limit_requests: int | None = 15  # per rate_limit_period_s; the gateway allows 1200/min
    batch_size: int = 100
    read_chunk_size: int = 40  # product keys per $filter, so URLs stay short
    max_connections: int = 10

    def __repr_args__(self):  # never show a secret in a repr
        for name, value in super().__repr_args__():
            yield name, ("***" if name in ("client_secret", "password") else value)

    @classmethod
    def from_env(cls, **overrides: Any) -> ERPResource:
        """Build from the MFG_SYNC_ERP_* variables (the sandbox profile fills unset ones when active); secrets,
        and any needed variable that is unset, stay `EnvVar`s so `check_configuration` names them."""
        apply_sandbox_profile()
        env = os.environ
        auth_mode = env.get("MFG_SYNC_ERP_AUTH_MODE", "").strip() or "oauth"
        values: dict[str, Any] = {"auth_mode": auth_mode}
        if env.get("MFG_SYNC_ERP_TOKEN_URL", "").strip():
            values["token_url"] = env["MFG_SYNC_ERP_TOKEN_URL"].strip()
        wanted = {**CONNECTION_VARS, **AUTH_VARS.get(auth_mode, {})}
        wanted.update(
            {
                field: var
                for mode, fields in AUTH_VARS.items()
                if mode != auth_mode  # for redaction
                for field, var in fields.items()
                if env.get(var, "").strip()
            }
        )
        for field, var in wanted.items():
            raw = env.get(var, "").strip()
            values[field] = raw if raw and field not in SECRET_FIELDS else dg.EnvVar(var)
        values.update(tuning_from_env("MFG_SYNC_ERP", cls.model_fields))
        return cls(**{**values, **overrides})

    def check_configuration(self) -> None:
        """The connection facts and the auth mode's secret set; no published sandbox secret for an ERP (or
        token endpoint) that is no loopback sandbox."""
        if self.auth_mode not in AUTH_VARS:
            raise ConfigurationError(f"MFG_SYNC_ERP_AUTH_MODE={self.auth_mode!r}: expected oauth or basic")
        wanted = {**CONNECTION_VARS, **AUTH_VARS[self.auth_mode]}
        values = {var: field_value(getattr(self, field)) for field, var in wanted.items()}
        url = values["MFG_SYNC_ERP_URL"]
        require_connection("erp", values, url=url, auth_mode=self.auth_mode)
        if self.auth_mode == "oauth" and self.token_url:  # the client secret goes to the token endpoint
            refuse_published_secret(
                "erp", self.token_url, "MFG_SYNC_ERP_CLIENT_SECRET", values["MFG_SYNC_ERP_CLIENT_SECRET"]
            )

    def timeouts(self) -> Timeouts:
        """Write and pool waits follow the read timeout."""
        return Timeouts(
            connect_s=self.connect_timeout_s,
            read_s=self.read_timeout_s,
            write_s=self.read_timeout_s,
            pool_s=self.read_timeout_s,
        )

    def retry_extras(self) -> dict[str, Any]:
        """The longest Retry-After the gateway may ask for that is waited out."""
        return {"retry_after_cap_s": self.retry_after_cap_s}

    def policy_extras(self) -> dict[str, Any]:
        """Connection limits, and SAP's request id looked for first."""
        return {
            "max_connections": self.max_connections,
            "max_keepalive_connections": self.max_connections,
            "request_id_headers": ("sap-request-id", "x-request-id", "x-correlation-id"),
        }

    def _auth(self):
        if self.auth_mode == "basic":
            return BasicAuth(self.username, resolved(self.password))
        if self.auth_mode != "oauth":
            raise ValueError(f"ERPResource.auth_mode must be 'oauth' or 'basic', got {self.auth_mode!r}")
        return OAuth2ClientCredentials(
            self.token_url or f"{self.url.rstrip('/')}{TOKEN_PATH}",
            self.client_id,
            resolved(self.client_secret),
            leeway_s=self.token_leeway_s,
        )

    def client(self, correlation_id: str | None = None, logger: Any = None) -> ERPClient:
        """A new thread-safe ERPClient (close it, or use `with`)."""
        if self.batch_size < 1 or self.read_chunk_size < 1:
            raise ValueError("ERPResource.batch_size and read_chunk_size must be >= 1")
        self.check_configuration()
        api = ApiClient(
            self.system,
            self.url.rstrip("/"),
            policy=self.policy(),
            auth=self._auth(),
            hooks=[SapCsrf(f"{PRODUCT_SERVICE}/")],
            correlation_id=correlation_id,
            secrets=[resolved(self.client_secret), resolved(self.password)],
            headers={"Accept": "application/json"},
        )
        return ERPClient(
            api, plant=self.plant, batch_size=self.batch_size, read_chunk_size=self.read_chunk_size, logger=logger
        )

    def target_fields(self) -> Mapping[str, tuple[str, ...]]:
        """Entity -> the fields the SAP kind writes (what a mapping spec may target)."""
        return TARGET_FIELDS

    def test_connection(self) -> dict[str, Any]:
        """Reachability, auth and permission in one call; never returns a secret."""
        with self.client() as erp:
            facts = erp.test_connection()
        facts["auth_mode"] = self.auth_mode
        return facts
