"""Test support for the real-Tryton tests: reading Tryton through PLAIN JSON-RPC (not the client under
test), the PLM side of a BOM change, and counting write calls in the transport metrics."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx

from orchestration.tryton_server import TrytonServer
from resources.erp.tryton.resource import TrytonResource
from resources.plm.resource import PLMResource
from resources.plm.walk import ReleasedBom

WRITE_SUFFIXES = (".create", ".write", ".delete")
# Fast, still-real policies: few attempts and short backoffs so failure tests finish quickly.
FAST_RETRY = {"max_attempts": 3, "backoff_initial_s": 0.05, "backoff_max_s": 0.2, "total_budget_s": 5.0}


def resource(server: TrytonServer, **overrides: Any) -> TrytonResource:
    values = {"url": server.url, "database": server.database, "user": server.user, "password": server.password}
    return TrytonResource(**{**values, **FAST_RETRY, **overrides})


def released_bom(plm_url: str, assembly: str) -> ReleasedBom:
    """The released multi-level BOM, read with the project's PLM client."""
    with PLMResource(url=plm_url, rate_limit_requests=500, **FAST_RETRY).client() as plm:
        return plm.released_bom(assembly)


def write_calls(metrics: dict[str, Any]) -> dict[str, int]:
    """Write calls by RPC method, from a transport metrics snapshot."""
    return {
        route.split(" ", 1)[1]: row["calls"]
        for route, row in metrics["routes"].items()
        if route.endswith(WRITE_SUFFIXES)
    }


class PlainRpc:
    """Tryton over bare httpx: login once, then `call(method, *params)`; raises on an error answer."""

    def __init__(self, server: TrytonServer) -> None:
        self.url = f"{server.url}/{server.database}/rpc/"
        body = httpx.post(
            self.url,
            json={"method": "common.db.login", "id": 1, "params": [server.user, {"password": server.password}, "en"]},
        ).json()
        uid, session = body["result"][:2]
        token = base64.b64encode(f"{server.user}:{uid}:{session}".encode()).decode()
        self.headers = {"Authorization": f"Session {token}"}

    def call(self, method: str, *params: Any) -> Any:
        body = httpx.post(
            self.url,
            json={"method": method, "params": [*params, {"active_test": False}], "id": 2},
            headers=self.headers,
            timeout=30,
        ).json()
        assert "error" not in body, body
        return body["result"]

    def search_read(self, model: str, domain: list, fields: list[str]) -> list[dict]:
        return self.call(f"model.{model}.search_read", domain, 0, None, [["id", "ASC"]], fields)


def tryton_contents(server: TrytonServer) -> dict[str, Any]:
    """Everything the BOM sync writes, read through plain JSON-RPC: products by code, every BOM (active or
    not) with its lines, and each product's linked (current) BOM."""
    rpc = PlainRpc(server)
    products = {
        p["code"]: p
        for p in rpc.search_read(
            "product.product",
            [],
            ["code", "template.name", "template.default_uom.symbol", "template.producible", "template.type", "boms"],
        )
    }
    boms = {b["id"]: b for b in rpc.search_read("production.bom", [], ["code", "active", "name"])}
    lines = rpc.search_read("production.bom.input", [], ["bom", "product.code", "quantity", "unit.symbol"])
    outputs = rpc.search_read("production.bom.output", [], ["bom", "product.code", "quantity", "unit.symbol"])
    links = rpc.search_read("product.product-production.bom", [], ["product.code", "bom"])
    for bom in boms.values():
        bom["lines"] = {
            line["product."]["code"]: (Decimal(str(line["quantity"])), line["unit."]["symbol"])
            for line in lines
            if line["bom"] == bom["id"]
        }
        bom["line_count"] = sum(1 for line in lines if line["bom"] == bom["id"])
        bom["outputs"] = [
            (o["product."]["code"], Decimal(str(o["quantity"])), o["unit."]["symbol"])
            for o in outputs
            if o["bom"] == bom["id"]
        ]
    current: dict[str, list[int]] = {}
    for link in links:
        current.setdefault(link["product."]["code"], []).append(link["bom"])
    return {"products": products, "boms": boms, "current": current}


def release_bom_change(plm_url: str, assembly: str, quantities: dict[int, Decimal]) -> str:
    """Edit lines of `assembly`'s BOM (find number -> new quantity) on a change order and release it."""
    with httpx.Client(base_url=f"{plm_url}/v1") as http:
        session = http.post(
            "/login", json={"email": "engineer@sandbox.example", "password": "sandbox", "workspaceId": 100001}
        ).json()["arenaSessionId"]
        http.headers["arena_session_id"] = session
        item = http.get("/items", params={"number": assembly}).json()["results"][0]
        change = http.post(
            "/changes",
            json={"title": f"re-quantify {assembly}", "items": [{"affectedItemRevision": {"guid": item["guid"]}}]},
        )
        change.raise_for_status()
        working = http.get(f"/items/{item['guid']}/bom", params={"revisionStatus": "WORKING"}).json()["results"]
        revisions = http.get(f"/items/{item['guid']}/revisions").json()["results"]
        owner = next((r["guid"] for r in revisions if r.get("status") == 0), item["guid"])
        for line in working:
            if line["lineNumber"] in quantities:
                body = {
                    "item": {"guid": line["item"]["guid"]},
                    "quantity": float(quantities[line["lineNumber"]]),
                    "lineNumber": line["lineNumber"],
                }
                http.put(f"/items/{owner}/bom/{line['guid']}", json=body).raise_for_status()
        http.post(
            "/changes/statuschanges", json={"change": {"guid": change.json()["guid"]}, "status": "EFFECTIVE"}
        ).raise_for_status()
        return change.json()["number"]
