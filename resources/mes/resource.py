"""`MESResource`: the Dagster resource through which every asset reaches the shop-floor system (MES).

    mes = MESResource.from_env()                  # or MESResource(url=..., api_key=EnvVar("MFG_SYNC_MES_API_KEY"))
    with mes.client(correlation_id=context.run_id, logger=context.log) as client:
        orders = client.product_orders()

Env vars: MFG_SYNC_MES_URL, MFG_SYNC_MES_API_KEY (secret); the sandbox profile fills them only under
MFG_SYNC_PROFILE=sandbox. The webhook secret (MFG_SYNC_MES_WEBHOOK_SECRET) is the receiver's, not this one's.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, ClassVar

import dagster as dg
from pydantic import Field

from resources.connection_rules import field_value, require_connection
from resources.env_tuning import resolved, tuning_from_env
from resources.mes.client import MESClient
from resources.sandbox_profile import apply_sandbox_profile
from resources.system_resource import HttpSystemResource
from resources.transport import ApiClient, ApiKeyHeader, install_log_redaction

ENV_VARS = {"url": "MFG_SYNC_MES_URL", "api_key": "MFG_SYNC_MES_API_KEY"}
SANDBOX_API_KEY = "sandbox-mes-api-key"


class MESResource(HttpSystemResource):
    """Connection, API key and HTTP policy for the MES; `client()` opens one."""

    system: ClassVar[str] = "mes"
    url: str = Field(default="http://127.0.0.1:8104", description="The MES base URL (without /api/v1).")
    api_key: str = Field(default=SANDBOX_API_KEY, description="The MES API key (use EnvVar).")
    rate_limit_requests: int | None = Field(default=20, description="Client-side limit: requests per period.")

    @classmethod
    def from_env(cls, **overrides: Any) -> MESResource:
        apply_sandbox_profile()
        values: dict[str, Any] = {
            name: dg.EnvVar(var)
            if name == "api_key" or not os.environ.get(var, "").strip()
            else os.environ[var].strip()
            for name, var in ENV_VARS.items()
        }
        values.update(tuning_from_env("MFG_SYNC_MES", cls.model_fields))
        return cls(**{**values, **overrides})

    def check_configuration(self) -> None:
        values = {ENV_VARS[name]: field_value(getattr(self, name)) for name in ENV_VARS}
        require_connection("mes", values, url=values[ENV_VARS["url"]])

    def policy_extras(self) -> dict[str, Any]:
        return {"secret_headers": ("x-api-key",)}

    def client(self, correlation_id: str | None = None, logger: Any = None) -> MESClient:
        self.check_configuration()
        install_log_redaction(("resources.mes",))
        key = resolved(self.api_key)
        api = ApiClient(
            self.system,
            resolved(self.url).rstrip("/"),
            policy=self.policy(),
            auth=ApiKeyHeader("X-API-Key", key),
            correlation_id=correlation_id or uuid.uuid4().hex,
            secrets=[] if key == SANDBOX_API_KEY else [key],
            headers={"Accept": "application/json"},
        )
        return MESClient(api, logger=logger)
