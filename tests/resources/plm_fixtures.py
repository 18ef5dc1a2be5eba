"""Helpers for the PLM client tests: a real sandbox PLM over HTTP, its control endpoints, and an
independent walk of the seed catalog to compare the client's answers with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from resources.plm import PLMResource
from sandbox.catalog import Catalog, build_catalog
from sandbox.plm import PLMSettings, create_app
from sandbox.server import serving

TEST_PASSWORD = "Gr4nite-Pump-7731"  # distinctive, so a leak is unmistakable in captured logs


@dataclass
class PLMSandbox:
    """One running sandbox PLM: its URL, the system object, and its control endpoints."""

    url: str
    system: Any
    settings: PLMSettings

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = httpx.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else {}

    def faults(self, **faults: Any) -> dict:
        return self.control("PUT", "faults", faults)

    def stats(self) -> dict:
        return self.control("GET", "stats")

    def reset_stats(self) -> None:
        self.control("POST", "stats/reset")

    def session_ids(self) -> set[str]:
        return {row["id"] for row in self.system.store.query("SELECT id FROM sessions")}

    def resource(self, **overrides: Any) -> PLMResource:
        """A client config for tests: sandbox credentials, no client-side throttling, tiny backoffs."""
        values: dict[str, Any] = dict(
            url=self.url,
            email=self.settings.email,
            password=self.settings.password,
            workspace_id=self.settings.workspace_id,
            rate_limit_requests=10_000,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
            max_attempts=8,
            total_budget_s=20.0,
            max_concurrency=8,
        )
        values.update(overrides)
        return PLMResource(**values)


@contextmanager
def running_plm(**settings: Any) -> Iterator[PLMSandbox]:
    """The demo-profile sandbox PLM in memory, without its default rate limit unless asked."""
    settings = {"rate_limit": None, "password": TEST_PASSWORD, **settings}
    plm_settings = PLMSettings(**settings)
    app = create_app(plm_settings)
    with serving(app) as url:
        yield PLMSandbox(url=url, system=app.sandbox, settings=plm_settings)


def demo_catalog() -> Catalog:
    return build_catalog("demo", 7)


def largest_assembly(catalog: Catalog) -> str:
    return max(catalog.top_assemblies, key=lambda top: len(expected_walk(catalog, top)[1]))


def expected_walk(catalog: Catalog, top: str) -> tuple[list[tuple], list[str], set[str]]:
    """Depth-first over the catalog: lines as (parent, find, component, quantity, level, path), parts in
    first-occurrence order, and the set of item numbers whose BOM is part of the tree."""
    lines: list[tuple] = []
    parts, expanded = [top], set()

    def visit(number: str, path: tuple[str, ...]) -> None:
        expanded.add(number)
        for line in catalog.children(number):
            lines.append((number, line.find_number, line.component, Decimal(line.quantity), len(path), path))
            if line.component not in parts:
                parts.append(line.component)
            if catalog.children(line.component) and line.component not in expanded:
                visit(line.component, (*path, line.component))

    visit(top, (top,))
    return lines, parts, expanded


def tops_above(catalog: Catalog, number: str) -> set[str]:
    """Top-level assemblies whose tree contains `number` (or `number` itself if it is one)."""
    return {top for top in catalog.top_assemblies if number == top or number in expected_walk(catalog, top)[1]}


class ArenaWriter:
    """Test-side writes through the PLM's own API (the client under test only reads)."""

    def __init__(self, sandbox: PLMSandbox) -> None:
        self.http = httpx.Client(base_url=sandbox.url, timeout=10)
        s = sandbox.settings
        body = (
            self.http.post("/v1/login", json={"email": s.email, "password": s.password, "workspaceId": s.workspace_id})
            .raise_for_status()
            .json()
        )
        self.http.headers["arena_session_id"] = body["arenaSessionId"]

    def guid_of(self, number: str) -> str:
        page = self.http.get("/v1/items", params={"number": number}).raise_for_status().json()
        return page["results"][0]["guid"]

    def release_change(self, title: str, numbers: list[str]) -> dict:
        """Create a change with these affected items and move it to EFFECTIVE."""
        items = [{"affectedItemRevision": {"guid": self.guid_of(n)}} for n in numbers]
        change = self.http.post("/v1/changes", json={"title": title, "items": items}).raise_for_status().json()
        self.http.post(
            "/v1/changes/statuschanges", json={"change": {"guid": change["guid"]}, "status": "EFFECTIVE"}
        ).raise_for_status()
        return change

    def close(self) -> None:
        self.http.close()
