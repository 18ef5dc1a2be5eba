"""Fixtures for the ERP client tests: a fresh sandbox ERP over real HTTP per test, and fast resources."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from resources.erp import ERPResource
from sandbox.erp import ERPSettings, connection_facts, create_app
from sandbox.server import serving


@dataclass
class ERPSandbox:
    """A running sandbox ERP: its URL, its sandbox.json facts and the app (for the issued secrets)."""

    base_url: str
    facts: dict[str, str]
    app: Any

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = httpx.request(method, f"{self.base_url}/_sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def faults(self, **faults: Any) -> None:
        self.control("PUT", "faults", faults)

    def settings(self, **settings: Any) -> None:
        self.control("PUT", "settings", settings)

    def stats(self) -> dict:
        return self.control("GET", "stats")

    def expire(self, credentials: str) -> int:
        """Expire every live 'oauth_tokens' or 'csrf_tokens' now; how many there were."""
        return self.control("POST", "expire", {"credentials": credentials})["expired"]

    def resource(self, **overrides: Any) -> ERPResource:
        """Sandbox credentials and tiny backoffs so retry tests take milliseconds."""
        values: dict[str, Any] = {
            "url": self.base_url,
            "client_id": self.facts["client_id"],
            "client_secret": self.facts["client_secret"],
            "username": self.facts["username"],
            "password": self.facts["password"],
            "backoff_initial_s": 0.01,
            "backoff_max_s": 0.05,
            "total_budget_s": 20.0,
            "max_attempts": 6,
            "rate_limit_requests": 200,
            "connect_timeout_s": 2.0,
            "read_timeout_s": 10.0,
        }
        return ERPResource(**{**values, **overrides})


@pytest.fixture
def erp_sandbox() -> Iterator[ERPSandbox]:
    settings = ERPSettings(rate_limit=None)
    app = create_app(settings)
    with serving(app) as base_url:
        yield ERPSandbox(base_url, connection_facts(settings, base_url), app)
