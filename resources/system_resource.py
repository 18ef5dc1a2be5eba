"""`HttpSystemResource`: the transport settings every outside-system resource shares, and the policy they make.

    class EAMResource(HttpSystemResource):
        system: ClassVar[str] = "eam"
        rate_limit_requests: int | None = Field(default=20, ...)   # a system's default: redeclare the field

        def policy_extras(self) -> dict[str, Any]:
            return {"secret_headers": ("apikey", "maxauth", "cookie")}

Each subclass keeps its connection fields, `from_env`, `check_configuration` and `client()`. Kept out of
`resources/transport/`, which stays free of Dagster.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import dagster as dg
from pydantic import Field

from resources.env_tuning import resolved
from resources.transport import ApiError, RateLimit, RetryPolicy, Timeouts, TransportPolicy, redact_url


class HttpSystemResource(dg.ConfigurableResource):
    """Timeouts, retries, client-side pace and the correlation header of one outside system's HTTP API."""

    system: ClassVar[str]  # the name errors, metrics and facts carry: "plm", "erp", "eam"
    url: str = Field(description="The system's base URL.")
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    max_attempts: int | None = Field(default=None, description="Attempt cap; unset: the retry budget decides.")
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    total_budget_s: float = Field(default=120.0, description="Max seconds one request may spend retrying.")
    rate_limit_requests: int | None = Field(default=10, description="Client-side limit: requests per period.")
    rate_limit_period_s: float = 1.0
    correlation_header: str = "X-Correlation-ID"

    def check_configuration(self) -> None:
        """Every connection fact the system needs is set (each subclass says which)."""
        raise NotImplementedError(f"{type(self).__name__} must say what a complete configuration is")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.check_configuration()  # the run fails at its start, before any step sends a request

    def policy(self) -> TransportPolicy:
        """The transport policy these settings describe."""
        rate = (
            None if self.rate_limit_requests is None else RateLimit(self.rate_limit_requests, self.rate_limit_period_s)
        )
        return TransportPolicy(
            timeouts=self.timeouts(),
            retry=RetryPolicy(
                max_attempts=self.max_attempts,
                backoff_initial_s=self.backoff_initial_s,
                backoff_max_s=self.backoff_max_s,
                total_budget_s=self.total_budget_s,
                **self.retry_extras(),
            ),
            rate_limit=rate,
            correlation_header=self.correlation_header,
            **self.policy_extras(),
        )

    def timeouts(self) -> Timeouts:
        """Connect and read timeouts; write and pool keep the transport's defaults unless a system says so."""
        return Timeouts(connect_s=self.connect_timeout_s, read_s=self.read_timeout_s)

    def retry_extras(self) -> dict[str, Any]:
        """Hook: the system's own `RetryPolicy` fields beyond the shared ones (e.g. a Retry-After cap)."""
        return {}

    def policy_extras(self) -> dict[str, Any]:
        """Hook: the system's own `TransportPolicy` fields (quota headers, secret headers, connection limits)."""
        return {}

    def client(self, correlation_id: str | None = None, logger: Any = None) -> Any:
        """A client for the system (close it, or use `with`)."""
        raise NotImplementedError(f"{type(self).__name__} must say how its client is built")

    def test_connection(self) -> dict[str, Any]:
        """Reachability, credentials and read permission in one call; never raises for an API failure."""
        started = time.monotonic()
        facts: dict[str, Any] = {"system": self.system, "url": redact_url(resolved(self.url))}
        try:
            with self.client() as client:
                facts.update(client.test_connection())
        except ApiError as err:
            facts.update(ok=False, error=err.as_dict())
        facts["elapsed_s"] = round(time.monotonic() - started, 3)
        return facts
