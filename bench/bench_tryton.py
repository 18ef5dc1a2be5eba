"""Benchmark: the BOM sync to a real Tryton vs a hand-batched floor (raw JSON-RPC creating the same records).

Both run in the same process against two fresh copies of the same template database on two trytond
servers. The PLM is read once up front (sandbox, in-process) and is not timed. mfg-sync: map, plan
against a fresh read of Tryton, apply (look-ups before writes, versioned BOMs, link switch, stale-version
sweep). Floor: the fewest calls that create the same products, BOMs and links (a unit read, template
creates, one product read, BOM creates, link creates; <= 80 records per call). Prints a table and ratios.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestration.settings import data_dir  # noqa: E402
from orchestration.tryton_server import TrytonServer, ensure_installed, template_database  # noqa: E402
from resources.erp.tryton.flow import sync_bom  # noqa: E402
from resources.erp.tryton.resource import TrytonResource  # noqa: E402
from resources.erp.tryton.rpc import chunked  # noqa: E402
from resources.plm.resource import PLMResource  # noqa: E402
from sandbox.plm import PLMSettings, create_app  # noqa: E402
from sandbox.server import serving  # noqa: E402
from sync.mapping import MappedBom, map_released_bom  # noqa: E402
from sync.records import BomLine, Part  # noqa: E402
from sync.spec_builder import load_spec  # noqa: E402

SPEC = Path(__file__).resolve().parents[1] / "mappings" / "plm_to_tryton.yaml"


class Floor:
    """Raw batched JSON-RPC over httpx; counts its calls."""

    def __init__(self, server: TrytonServer) -> None:
        self.url, self.calls = f"{server.url}/{server.database}/rpc/", 0
        self.http = httpx.Client(timeout=60)
        uid, session = self._post("common.db.login", [server.user, {"password": server.password}, "en"])[:2]
        token = base64.b64encode(f"{server.user}:{uid}:{session}".encode()).decode()
        self.http.headers["Authorization"] = f"Session {token}"

    def _post(self, method: str, params: list[Any]) -> Any:
        self.calls += 1
        body = self.http.post(self.url, json={"method": method, "params": params, "id": self.calls}).json()
        if body.get("error"):
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]

    def model(self, name: str, method: str, *params: Any) -> Any:
        return self._post(f"model.{name}.{method}", [*params, {}])

    def sync(self, mapped: MappedBom) -> None:
        uoms = {u["symbol"]: u["id"] for u in self.model("product.uom", "search_read", [], 0, None, None, ["symbol"])}
        templates = [
            {
                "name": m["name"],
                "type": "goods",
                "default_uom": uoms[m["default_uom"]],
                "producible": m["producible"],
                "code": code,
                "products": [["create", [{}]]],
            }
            for code, m in sorted(mapped.materials.items())
        ]
        for run in chunked(templates, 80, weight=lambda _: 2):
            self.model("product.template", "create", run)
        ids = {
            p["code"]: p["id"]
            for p in self.model(
                "product.product", "search_read", [("code", "in", sorted(mapped.materials))], 0, None, None, ["code"]
            )
        }
        boms = []
        for key, header in sorted(mapped.bom_headers.items()):
            inputs = [
                {
                    "product": ids[i["BillOfMaterialComponent"]],
                    "unit": uoms[i["unit"]],
                    "quantity": float(i["quantity"]),
                }
                for k, i in sorted(mapped.bom_items.items())
                if k.startswith(key + "|")
            ]
            output = {"product": ids[header["Material"]], "unit": uoms[header["output_unit"]], "quantity": 1.0}
            boms.append(
                (
                    header["Material"],
                    {
                        "name": f"{header['Material']} v1",
                        "code": f"{header['Material']}/v1",
                        "inputs": [["create", inputs]],
                        "outputs": [["create", [output]]],
                    },
                )
            )
        links = []
        for run in chunked(boms, 80, weight=lambda b: 2 + len(b[1]["inputs"][0][1])):
            created = self.model("production.bom", "create", [values for _, values in run])
            links += [
                {"product": ids[material], "bom": bom_id} for (material, _), bom_id in zip(run, created, strict=True)
            ]
        for run in chunked(links, 80):
            self.model("product.product-production.bom", "create", run)


def read_plm(profile: str, large: dict[str, int]) -> tuple[list[Part], list[BomLine], list[str]]:
    """Every released top assembly's parts and lines (each part and line once)."""
    app = create_app(PLMSettings(rate_limit=None, profile=profile, large_params=large))
    parts: dict[str, Part] = {}
    lines: dict[tuple[str, int], BomLine] = {}
    with serving(app) as url, PLMResource(url=url, rate_limit_requests=1000).client() as plm:
        tops = plm.released_top_assemblies()
        for top in tops:
            bom = plm.released_bom(top)
            parts.update({p.number: p for p in bom.parts})
            lines.update({(x.parent_number, x.find_number): x for x in bom.lines})
    return list(parts.values()), list(lines.values()), tops


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", choices=["demo", "large"])
    parser.add_argument("--assemblies", type=int, default=2, help="large profile: top-level assemblies")
    args = parser.parse_args(argv)
    spec = load_spec(SPEC)
    parts, lines, tops = read_plm(args.profile, {"assemblies": args.assemblies} if args.profile == "large" else {})
    mapped = map_released_bom(spec, parts, lines)
    venv = ensure_installed()
    template = template_database(venv, data_dir() / "tryton" / "templates")
    with tempfile.TemporaryDirectory() as tmp:
        ours = TrytonServer(venv=venv, run_dir=Path(tmp) / "ours", template=template)
        floor_server = TrytonServer(venv=venv, run_dir=Path(tmp) / "floor", template=template)
        with ours, floor_server:
            resource = TrytonResource(url=ours.url, database=ours.database, user=ours.user, password=ours.password)
            with resource.client() as tryton:
                started = time.perf_counter()
                sync_bom(tryton, spec, parts, lines)
                ours_s, ours_calls = time.perf_counter() - started, tryton.metrics.snapshot()["calls"]
                tryton.metrics.reset()
                started = time.perf_counter()
                sync_bom(tryton, spec, parts, lines)
                rerun_s, rerun_calls = time.perf_counter() - started, tryton.metrics.snapshot()["calls"]
            floor = Floor(floor_server)
            started = time.perf_counter()
            floor.sync(mapped)
            floor_s = time.perf_counter() - started
    records = len(mapped.materials) * 2 + len(mapped.bom_headers) * 3 + len(mapped.bom_items)
    print(
        f"Tryton BOM sync, profile {args.profile}: {len(tops)} top assemblies, {len(mapped.materials)} products, "
        f"{len(mapped.bom_headers)} BOMs, {len(mapped.bom_items)} lines ({records} Tryton records)"
    )
    print(f"{'run':<28} {'wall s':>8} {'calls':>6}")
    print(f"{'mfg-sync first sync':<28} {ours_s:8.2f} {ours_calls:6d}")
    print(f"{'hand-batched floor':<28} {floor_s:8.2f} {floor.calls:6d}")
    print(f"{'mfg-sync re-run (no change)':<28} {rerun_s:8.2f} {rerun_calls:6d}")
    print(f"ratio mfg-sync / floor: {ours_s / floor_s:.2f}x wall, {ours_calls / floor.calls:.2f}x calls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
