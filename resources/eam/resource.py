"""`EAMResource`: the Dagster resource through which every asset talks to the (Maximo-shaped) EAM.

    eam = EAMResource.from_env()                  # or EAMResource(url=..., apikey=EnvVar("..."))
    with eam.client(correlation_id=context.run_id, logger=context.log) as client:
        delta = client.delta("mxapimatusetrans", since=cursor)

Defaults point at the sandbox EAM (port 8103, sandbox credentials). Env vars read by `from_env()`:
MFG_SYNC_EAM_URL, MFG_SYNC_EAM_APIKEY (secret), MFG_SYNC_EAM_USER, MFG_SYNC_EAM_PASSWORD (secret),
MFG_SYNC_EAM_AUTH (`apikey` for /maximo/api, `maxauth` for a /maximo/oslc login session), MFG_SYNC_EAM_SITEID.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import dagster as dg
from pydantic import Field

from resources.connection_rules import field_value, require_connection
from resources.eam.client import EAMClient, MaxauthSession, maximo_error_parser
from resources.eam.records import EAMDataError
from resources.env_tuning import resolved, tuning_from_env
from resources.sandbox_profile import apply_sandbox_profile
from resources.transport import (
    ApiClient,
    ApiError,
    ApiKeyHeader,
    RateLimit,
    RetryPolicy,
    SessionLogin,
    Timeouts,
    TransportPolicy,
    install_log_redaction,
    redact_url,
)

__all__ = ["EAMResource", "EAMClient", "EAMDataError", "ENV_VARS"]

ENV_VARS = {"url": "MFG_SYNC_EAM_URL", "apikey": "MFG_SYNC_EAM_APIKEY", "username": "MFG_SYNC_EAM_USER",
            "password": "MFG_SYNC_EAM_PASSWORD", "auth": "MFG_SYNC_EAM_AUTH", "siteid": "MFG_SYNC_EAM_SITEID"}
SECRET_FIELDS = frozenset({"apikey", "password"})
SANDBOX_DEFAULTS = {"url": "http://127.0.0.1:8103", "apikey": "sandbox-eam-apikey", "username": "mxintadm",
                    "password": "sandbox", "siteid": "P1000"}


class EAMResource(dg.ConfigurableResource):
    """Connection, credentials and HTTP policy for the EAM; `client()` opens one."""

    url: str = Field(default=SANDBOX_DEFAULTS["url"], description="Maximo base URL (without /maximo).")
    auth: str = Field(default="apikey", description="'apikey' (/maximo/api) or 'maxauth' (/maximo/oslc login).")
    apikey: str = Field(default=SANDBOX_DEFAULTS["apikey"], description="Maximo API key (use EnvVar).")
    username: str = Field(default=SANDBOX_DEFAULTS["username"], description="maxauth user.")
    password: str = Field(default=SANDBOX_DEFAULTS["password"], description="maxauth password (use EnvVar).")
    siteid: str = Field(default=SANDBOX_DEFAULTS["siteid"], description="The site the sync works in.")
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    max_attempts: int | None = Field(default=None, description="Attempt cap; unset: the retry budget decides.")
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    total_budget_s: float = Field(default=120.0, description="Max seconds one request may spend retrying.")
    rate_limit_requests: int = Field(default=20, description="Client-side limit: requests per period.")
    rate_limit_period_s: float = 1.0
    page_size: int = Field(default=500, description="Records per page (oslc.pageSize).")
    correlation_header: str = "X-Correlation-ID"

    @classmethod
    def from_env(cls, **overrides: Any) -> EAMResource:
        """Build from the MFG_SYNC_EAM_* variables (the sandbox profile fills unset ones when active); secrets
        and unset variables stay `EnvVar`s so `check_configuration` names what is missing."""
        apply_sandbox_profile()
        values: dict[str, Any] = {}
        for name, var in ENV_VARS.items():
            raw = os.environ.get(var, "").strip()
            if name in ("auth", "siteid") and not raw:
                continue  # apikey auth and the sandbox plant's site are sound defaults anywhere
            values[name] = dg.EnvVar(var) if name in SECRET_FIELDS or not raw else raw
        values.update(tuning_from_env("MFG_SYNC_EAM", cls.model_fields))
        return cls(**{**values, **overrides})

    def check_configuration(self) -> None:
        """The URL and the secret of the auth mode set; no published sandbox secret sent beyond loopback."""
        mode = resolved(self.auth)
        needed = ("url", "apikey") if mode == "apikey" else ("url", "username", "password")
        values = {ENV_VARS[name]: field_value(getattr(self, name)) for name in needed}
        require_connection("eam", values, url=values[ENV_VARS["url"]], auth_mode=mode)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.check_configuration()  # the run fails at its start, before any step sends a request

    def policy(self) -> TransportPolicy:
        return TransportPolicy(
            timeouts=Timeouts(connect_s=self.connect_timeout_s, read_s=self.read_timeout_s),
            retry=RetryPolicy(max_attempts=self.max_attempts, backoff_initial_s=self.backoff_initial_s,
                              backoff_max_s=self.backoff_max_s, total_budget_s=self.total_budget_s),
            rate_limit=RateLimit(requests=self.rate_limit_requests, period_s=self.rate_limit_period_s),
            correlation_header=self.correlation_header,
            secret_headers=("apikey", "maxauth", "cookie"),
        )

    def client(self, correlation_id: str | None = None, logger: Any = None) -> EAMClient:
        """An EAM client; close it (or use `with`) to end a maxauth session."""
        self.check_configuration()
        install_log_redaction(("resources.eam",))
        mode = resolved(self.auth)
        if mode not in ("apikey", "maxauth"):
            raise ValueError(f"EAMResource.auth must be 'apikey' or 'maxauth', got {mode!r} (MFG_SYNC_EAM_AUTH)")
        cid = correlation_id or uuid.uuid4().hex
        if mode == "apikey":
            key = resolved(self.apikey)
            hook: Any = ApiKeyHeader("apikey", key)
            secrets = [] if key == SANDBOX_DEFAULTS["apikey"] else [key]
        else:
            password = resolved(self.password)
            session = MaxauthSession(resolved(self.username), password, self.correlation_header)
            hook = SessionLogin(session.login, session.logout)
            # the sandbox's published default ("sandbox") is no secret; masking it would blank that word in logs
            secrets = [] if password == SANDBOX_DEFAULTS["password"] else [password]
        api = ApiClient("eam", resolved(self.url).rstrip("/"), policy=self.policy(), auth=hook, correlation_id=cid,
                        secrets=secrets, headers={"Accept": "application/json"}, error_parser=maximo_error_parser)
        return EAMClient(api, root="api" if mode == "apikey" else "oslc", page_size=self.page_size,
                         siteid=resolved(self.siteid), logger=logger)

    def get_client(self, correlation_id: str | None = None, logger: Any = None) -> EAMClient:
        """Alias of `client()`."""
        return self.client(correlation_id, logger)

    def test_connection(self) -> dict[str, Any]:
        """Reachability, credentials and read permission in one call; never raises for an API failure."""
        started = time.monotonic()
        facts: dict[str, Any] = {"system": "eam", "url": redact_url(resolved(self.url))}
        try:
            with self.client() as client:
                facts.update(client.test_connection())
        except ApiError as err:
            facts.update(ok=False, error=err.as_dict())
        facts["elapsed_s"] = round(time.monotonic() - started, 3)
        return facts
