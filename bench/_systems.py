"""Bench support: the sandbox on its `large` profile, a second (fresh) ERP for the naive baseline, call
counts from `/_sandbox/stats`, injected latency, and a real PLM change order that edits k BOM lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from sandbox.erp import ERPSettings
from sandbox.erp import create_app as create_erp_app
from sandbox.launcher import RunningSandbox, running_sandbox
from sandbox.server import RunningServer, start_in_thread

PLM_LOGIN = {"email": "engineer@sandbox.example", "password": "sandbox", "workspaceId": 100001}


@dataclass(frozen=True)
class Calls:
    """What one scenario cost a system, read from the sandbox's own counters."""

    calls: int
    writes: int

    def __add__(self, other: Calls) -> Calls:
        return Calls(self.calls + other.calls, self.writes + other.writes)


@dataclass
class BenchSystems:
    """One PLM, the ERP the real sync writes to, and a fresh ERP with the same seed for the naive baseline."""

    sandbox: RunningSandbox
    naive_erp: RunningServer

    def url(self, system: str) -> str:
        """`plm`, `erp` (the real sync's ERP) or `naive_erp`."""
        return self.naive_erp.base_url if system == "naive_erp" else self.sandbox.base_url(system)

    def urls(self) -> list[str]:
        return [self.url(s) for s in ("plm", "erp", "naive_erp")]

    def set_latency(self, latency_ms: float) -> None:
        """Every request to every system waits `latency_ms` first (a WAN round trip, say)."""
        for url in self.urls():
            httpx.put(f"{url}/_sandbox/faults", json={"latency_ms": latency_ms}).raise_for_status()

    def reset_stats(self) -> None:
        for url in self.urls():
            httpx.post(f"{url}/_sandbox/stats/reset").raise_for_status()

    def calls(self, system: str) -> Calls:
        stats = httpx.get(f"{self.url(system)}/_sandbox/stats").json()
        return Calls(int(stats["calls_total"]), int(stats["writes"]))

    def routes(self, system: str) -> dict[str, int]:
        return httpx.get(f"{self.url(system)}/_sandbox/stats").json()["calls"]

    def summary(self, system: str) -> dict[str, Any]:
        return httpx.get(f"{self.url(system)}/_sandbox/summary", timeout=60).json()


@contextmanager
def bench_systems(large_params: dict[str, int], seed: int = 7) -> Iterator[BenchSystems]:
    """Start everything on free loopback ports, in memory, without server-side rate limits."""
    overrides = {
        "plm": {"large_params": large_params, "rate_limit": None},
        "erp": {"large_params": large_params, "rate_limit": None},
    }
    with running_sandbox(None, profile="large", seed=seed, overrides=overrides) as sandbox:
        naive_settings = ERPSettings(profile="large", seed=seed, large_params=large_params, rate_limit=None)
        naive_erp = start_in_thread(create_erp_app(naive_settings))
        try:
            yield BenchSystems(sandbox, naive_erp)
        finally:
            naive_erp.stop()


def release_quantity_change(plm_url: str, top: str, k: int) -> tuple[str, str, list[int]]:
    """Raise the quantity of the first k lines of one assembly's BOM on a change order and release it.

    The assembly is `top` or, when an open change already holds it, the first of its subassemblies that
    is free. Returns (change number, assembly, find numbers edited). The PLM sends its webhooks; nobody
    listens.
    """
    with httpx.Client(base_url=f"{plm_url}/v1", timeout=60) as http:
        session = http.post("/login", json=PLM_LOGIN)
        session.raise_for_status()
        http.headers["arena_session_id"] = session.json()["arenaSessionId"]
        item = _free_assembly(http, top)
        change = http.post(
            "/changes",
            json={
                "title": f"bench: re-quantify {k} lines of {item['number']}",
                "items": [{"affectedItemRevision": {"guid": item["guid"]}}],
            },
        )
        change.raise_for_status()
        working = http.get(f"/items/{item['guid']}/bom", params={"revisionStatus": "WORKING"}).json()["results"]
        if k > len(working):
            raise ValueError(f"--changed {k}: assembly {item['number']} has only {len(working)} BOM lines")
        owner = _working_revision_guid(http, item["guid"])
        edited = []
        for line in sorted(working, key=lambda x: x["lineNumber"])[:k]:
            body = {
                "item": {"guid": line["item"]["guid"]},
                "lineNumber": line["lineNumber"],
                "quantity": float(Decimal(str(line["quantity"])) + 1),
            }
            http.put(f"/items/{owner}/bom/{line['guid']}", json=body).raise_for_status()
            edited.append(line["lineNumber"])
        http.post(
            "/changes/statuschanges", json={"change": {"guid": change.json()["guid"]}, "status": "EFFECTIVE"}
        ).raise_for_status()
        http.put("/logout")
        return change.json()["number"], item["number"], edited


def _free_assembly(http: httpx.Client, top: str) -> dict[str, Any]:
    """`top` or, breadth first, the first assembly below it that no open change holds (Arena refuses an
    item already on another open change: 4007)."""
    held: set[str] = set()
    for status in ("OPEN_AND_UNLOCKED", "OPEN_AND_LOCKED"):
        for change in http.get("/changes", params={"lifecycleStatus": status, "limit": 400}).json()["results"]:
            held.update(a["item"]["number"] for a in http.get(f"/changes/{change['guid']}/items").json()["results"])
    queue = [http.get("/items", params={"number": top}).json()["results"][0]]
    seen: set[str] = set()
    while queue:
        item = queue.pop(0)
        if item["number"] not in held:
            return item
        seen.add(item["number"])
        lines = http.get(f"/items/{item['guid']}/bom").json()["results"]
        queue += [
            line["item"]
            for line in lines
            if line["item"]["number"].startswith("ASM-") and line["item"]["number"] not in seen
        ]
    raise RuntimeError(
        f"every assembly under {top} is held by an open change ({sorted(held)}): use a larger --depth or --width"
    )


def _working_revision_guid(http: httpx.Client, item_guid: str) -> str:
    """BOM writes address the item's working revision (Arena status 0)."""
    revisions = http.get(f"/items/{item_guid}/revisions").json()["results"]
    working = [r for r in revisions if r.get("status") == 0]
    return working[0]["guid"] if working else item_guid
