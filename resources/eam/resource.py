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
import uuid
from typing import Any, ClassVar

import dagster as dg
from pydantic import Field

from resources.connection_rules import field_value, require_connection
from resources.eam.client import EAMClient
from resources.eam.maxauth import MaxauthSession
from resources.eam.maximo_errors import maximo_error_parser
from resources.eam.records import EAMDataError
from resources.env_tuning import resolved, tuning_from_env
from resources.sandbox_profile import apply_sandbox_profile
from resources.system_resource import HttpSystemResource
from resources.transport import ApiClient, ApiKeyHeader, SessionLogin, install_log_redaction

__all__ = ["EAMResource", "EAMClient", "EAMDataError", "ENV_VARS"]

ENV_VARS = {
    "url": "MFG_SYNC_EAM_URL",
    "apikey": "MFG_SYNC_EAM_APIKEY",
    "username": "MFG_SYNC_EAM_USER",
    "password": "MFG_SYNC_EAM_PASSWORD",
    "auth": "MFG_SYNC_EAM_AUTH",
    "siteid": "MFG_SYNC_EAM_SITEID",
}
SECRET_FIELDS = frozenset({"apikey", "password"})
SANDBOX_DEFAULTS = {
    "url": "http://127.0.0.1:8103",
    "apikey": "sandbox-eam-apikey",
    "username": "mxintadm",
    "password": "sandbox",
    "siteid": "P1000",
}


class EAMResource(HttpSystemResource):
    """Connection, credentials and HTTP policy for the EAM; `client()` opens one."""

    system: ClassVar[str] = "eam"
    url: str = Field(default=SANDBOX_DEFAULTS["url"], description="Maximo base URL (without /maximo).")
    auth: str = Field(default="apikey", description="'apikey' (/maximo/api) or 'maxauth' (/maximo/oslc login).")
    apikey: str = Field(default=SANDBOX_DEFAULTS["apikey"], description="Maximo API key (use EnvVar).")
    username: str = Field(default=SANDBOX_DEFAULTS["username"], description="maxauth user.")
    password: str = Field(default=SANDBOX_DEFAULTS["password"], description="maxauth password (use EnvVar).")
    siteid: str = Field(default=SANDBOX_DEFAULTS["siteid"], description="The site the sync works in.")
    read_timeout_s: float = 60.0
    rate_limit_requests: int = Field(default=20, description="Client-side limit: requests per period.")
    page_size: int = Field(default=500, description="Records per page (oslc.pageSize).")

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

    def policy_extras(self) -> dict[str, Any]:
        """Maximo's credential headers (and the session cookie) count as secrets."""
        return {"secret_headers": ("apikey", "maxauth", "cookie")}

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
        api = ApiClient(
            self.system,
            resolved(self.url).rstrip("/"),
            policy=self.policy(),
            auth=hook,
            correlation_id=cid,
            secrets=secrets,
            headers={"Accept": "application/json"},
            error_parser=maximo_error_parser,
        )
        return EAMClient(
            api,
            root="api" if mode == "apikey" else "oslc",
            page_size=self.page_size,
            siteid=resolved(self.siteid),
            logger=logger,
        )

    def get_client(self, correlation_id: str | None = None, logger: Any = None) -> EAMClient:
        """Alias of `client()`."""
        return self.client(correlation_id, logger)
