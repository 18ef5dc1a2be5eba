"""`TrytonERPClient`: materials and production BOMs in a real Tryton, with the operations the BOM sync uses.

Materials are `product.template` + one `product.product` (template `code` = the material number, which
Tryton copies to the variant's `code`), `type` goods, the Tryton unit, `producible` for made parts.
A BOM is a `production.bom` with its `inputs` and one `outputs` line for the parent, reached through
the parent's `boms` link (`product.product-production.bom`).

Why a BOM change is atomic: Tryton runs each RPC call in one database transaction. A changed BOM is a
NEW `production.bom` created with all its inputs and its output in ONE `create` call (nested
`[["create", [...]]]`), so it exists completely or not at all; the product's link still names the old
version until a following call switches it, so production never sees half a BOM. The old version is
kept (deactivated once the link is switched), so one active BOM per product remains.

Idempotency across "committed but no answer": a product is looked up by code before it is created, and a
BOM version by its code `MATERIAL/vN/DIGEST` (DIGEST = checksum of its content): a retry finds what the
lost call committed and only switches the link. Creates go in calls of at most `batch_size` records.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from resources.erp.tryton.rpc import TrytonRPC, chunked
from sync.checksum import checksum
from sync.keys import SEP, header_key_of_item, split_key
from sync.plan import PlanItem

log = logging.getLogger("resources.erp.tryton")
TEMPLATE_FIELDS = ("name", "type", "default_uom", "producible")
PRODUCT_READ = ["code", "template", "template.name", "template.type", "template.default_uom.symbol",
                "template.producible", "boms"]
LINE_READ = ["bom", "product.code", "unit.symbol", "quantity"]


@dataclass
class TrytonBom:
    """The current production BOM of one material: header and items in the spec's field names."""

    header: dict[str, Any]
    items: list[dict[str, Any]]

    @property
    def material(self) -> str:
        return self.header["Material"]

    @property
    def bom_id(self) -> int:
        return self.header["_bom_id"]


def _number(value: Any) -> str:
    """Tryton floats (2.0) as plain decimal text ("2")."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text


class TrytonERPClient:
    """Thread-safe; use as a context manager. `plant`/`usage` fill the canonical BOM key (Tryton has neither)."""

    def __init__(self, rpc: TrytonRPC, *, plant: str = "WH", usage: str = "1", batch_size: int = 80,
                 logger: Any = None) -> None:
        if not 1 <= batch_size <= 80:
            raise ValueError("TrytonERPClient.batch_size must be 1..80 (larger calls overflow SQLite)")
        self.rpc, self.plant, self.usage, self.batch_size = rpc, plant, usage, batch_size
        self._log = logger or log
        self._uoms: dict[str, int] | None = None

    @property
    def metrics(self):
        return self.rpc.api.metrics

    def close(self) -> None:
        self.rpc.api.close()

    def __enter__(self) -> TrytonERPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reads ---------------------------------------------------------------------------------------

    def uom_ids(self) -> dict[str, int]:
        """Tryton unit symbol -> id (read once per client)."""
        if self._uoms is None:
            rows = self.rpc.search_read("product.uom", [], ["symbol"])
            self._uoms = {r["symbol"]: r["id"] for r in rows}
        return self._uoms

    def _products(self, numbers: Iterable[str]) -> list[dict[str, Any]]:
        codes = sorted(set(numbers))
        rows: list[dict[str, Any]] = []
        for run in chunked(codes, 200):
            rows += self.rpc.search_read("product.product", [("code", "in", run)], PRODUCT_READ)
        return rows

    def read_materials(self, numbers: Iterable[str]) -> dict[str, dict[str, Any]]:
        """{number: fields} in the spec's names (`Product`, `name`, `type`, `default_uom`, `producible`), with
        `_product_id`, `_template_id`, `_link_ids` extras; unknown numbers are simply missing."""
        out = {}
        for row in self._products(numbers):
            template = row.get("template.") or {}
            out[row["code"]] = {
                "Product": row["code"], "name": template.get("name"), "type": template.get("type"),
                "default_uom": (template.get("default_uom.") or {}).get("symbol"),
                "producible": bool(template.get("producible")), "_product_id": row["id"],
                "_template_id": row["template"], "_link_ids": list(row.get("boms") or []),
            }
        return out

    def read_boms(self, materials: Iterable[str], plant: str | None = None,
                  usage: str | None = None) -> dict[str, TrytonBom]:
        """The current BOM (the first `boms` link) of each material that has one: 3 reads in all."""
        plant, usage = plant or self.plant, usage or self.usage
        products = self.read_materials(materials)
        link_ids = [p["_link_ids"][0] for p in products.values() if p["_link_ids"]]
        if not link_ids:
            return {}
        links = self.rpc.model("product.product-production.bom", "read", link_ids,
                               ["product", "bom", "bom.code", "bom.outputs"])
        bom_ids = [link["bom"] for link in links]
        lines = self.rpc.search_read("production.bom.input", [("bom", "in", bom_ids)], LINE_READ, order=[["id", "ASC"]])
        outputs = self.rpc.search_read("production.bom.output", [("bom", "in", bom_ids)], LINE_READ)
        by_bom: dict[int, list[dict]] = defaultdict(list)
        for line in lines:
            by_bom[line["bom"]].append(line)
        output_of = {o["bom"]: o for o in outputs}
        number_of = {p["_product_id"]: n for n, p in products.items()}
        out = {}
        for link in links:
            material, bom_id = number_of[link["product"]], link["bom"]
            address = {"Material": material, "Plant": plant, "BillOfMaterialVariantUsage": usage}
            output = output_of.get(bom_id, {})
            header = {**address, "output_quantity": _number(output.get("quantity", 1)),
                      "output_unit": (output.get("unit.") or {}).get("symbol"), "_bom_id": bom_id,
                      "_code": (link.get("bom.") or {}).get("code"), "_link_id": link["id"]}
            items = [{**address, "BillOfMaterialItemNumber": line["product."]["code"],
                      "BillOfMaterialComponent": line["product."]["code"], "quantity": _number(line["quantity"]),
                      "unit": line["unit."]["symbol"], "_line_id": line["id"]} for line in by_bom[bom_id]]
            out[material] = TrytonBom(header, items)
        return out

    def snapshot(self, header_keys: Iterable[str]) -> dict[str, dict[str, dict]]:
        """The planner's target snapshot of these BOM headers (entity -> key -> payload)."""
        materials = [split_key(k)[0] for k in header_keys]
        headers, items = {}, {}
        for material, bom in self.read_boms(materials).items():
            key = SEP.join((material, self.plant, self.usage))
            headers[key] = bom.header
            items.update({f"{key}{SEP}{i['BillOfMaterialItemNumber']}": i for i in bom.items})
        return {"bom_header": headers, "bom_item": items}

    # ---- writes --------------------------------------------------------------------------------------

    def apply(self, plan_items: Iterable[PlanItem]) -> dict[str, int]:
        """Write a plan's material creates/updates, then a new BOM version for each BOM with any change.
        Returns counts: materials created/updated, BOM versions created, links switched."""
        items = list(plan_items)
        counts = self._apply_materials([i for i in items if i.entity == "material"])
        counts.update(self._apply_boms(items))
        return counts

    def _template_values(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        values = {f: payload[f] for f in TEMPLATE_FIELDS if f in payload}
        if "default_uom" in values:
            symbol = values["default_uom"]
            if symbol not in self.uom_ids():
                raise ValueError(f"tryton: material {payload.get('Product')}: unit {symbol!r} is not a Tryton unit")
            values["default_uom"] = self.uom_ids()[symbol]
        return values

    def _apply_materials(self, items: list[PlanItem]) -> dict[str, int]:
        wanted = {i.key: i for i in items if i.op in ("create", "update") and (i.op == "create" or i.changed_fields)}
        existing = self.read_materials(wanted) if wanted else {}
        creates, updates = [], []
        for key, item in sorted(wanted.items()):
            now = existing.get(key)
            if now is None:
                creates.append({**self._template_values(item.after or {}), "code": key, "products": [["create", [{}]]]})
                continue
            fields = item.changed_fields if item.op == "update" else tuple(TEMPLATE_FIELDS)
            change = {f: (item.after or {})[f] for f in fields if f in TEMPLATE_FIELDS and now.get(f) != (item.after or {}).get(f)}
            if change:  # a create whose product a lost answer already committed is only brought up to date
                updates.append(([now["_template_id"]], self._template_values(change)))
        for run in chunked(creates, self.batch_size, weight=lambda _: 2):
            self.rpc.model("product.template", "create", run)
        for run in chunked(updates, self.batch_size):
            self.rpc.model("product.template", "write", *[x for pair in run for x in pair])
        return {"materials_created": len(creates), "materials_updated": len(updates)}

    def _apply_boms(self, items: list[PlanItem]) -> dict[str, int]:
        headers = {i.key: i for i in items if i.entity == "bom_header" and i.after is not None}
        lines: dict[str, list[PlanItem]] = defaultdict(list)
        changed: set[str] = set()
        for item in items:
            if item.entity not in ("bom_header", "bom_item"):
                continue
            header = item.key if item.entity == "bom_header" else header_key_of_item(item.key)
            if item.entity == "bom_item" and item.after is not None:
                lines[header].append(item)
            if item.op in ("create", "delete") or (item.op == "update" and item.changed_fields):
                changed.add(header)
        if not headers:
            return {"bom_versions_created": 0, "bom_links_switched": 0}
        materials = sorted({split_key(k)[0] for k in headers} | {str(i.after["BillOfMaterialComponent"])
                                                                for ls in lines.values() for i in ls})
        products = self.read_materials(materials)
        desired = {k: self._bom_values(h.after or {}, [i.after or {} for i in lines[k]], products)
                   for k, h in headers.items() if k in changed}
        versions = self._find_or_create_versions(desired, products)
        switched = self._switch_links(versions, products)
        self._retire_stale_versions([products[split_key(k)[0]]["_product_id"] for k in headers])
        return {"bom_versions_created": sum(1 for _, new in versions.values() if new), "bom_links_switched": switched}

    def _bom_values(self, header: Mapping[str, Any], lines: list[Mapping[str, Any]],
                    products: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        material = str(header["Material"])
        uoms = self.uom_ids()

        def line(product: str, quantity: Any, unit: str, what: str) -> dict[str, Any]:
            if product not in products:
                raise ValueError(f"tryton: BOM {material}: {what} {product!r} is not a Tryton product")
            if unit not in uoms:
                raise ValueError(f"tryton: BOM {material}: {what} {product!r}: unit {unit!r} is not a Tryton unit")
            return {"product": products[product]["_product_id"], "unit": uoms[unit], "quantity": float(Decimal(str(quantity)))}

        inputs = [line(str(x["BillOfMaterialComponent"]), x["quantity"], str(x["unit"]), "component")
                  for x in sorted(lines, key=lambda x: str(x["BillOfMaterialItemNumber"]))]
        output = line(material, header.get("output_quantity", 1), str(header["output_unit"]), "parent")
        digest = checksum({"inputs": inputs, "output": output})[:12]
        return {"material": material, "digest": digest, "inputs": inputs, "output": output}

    def _find_or_create_versions(self, desired: dict[str, dict], products: Mapping[str, Mapping]) -> dict[str, tuple[int, bool]]:
        """header key -> (bom id, created now); an existing version with the same content is reused."""
        if not desired:
            return {}
        materials = [d["material"] for d in desired.values()]
        found = self.rpc.model("production.bom", "search_read",
                               ["OR", *[[("code", "like", f"{m}/v%")] for m in materials]], 0, None,
                               [["id", "ASC"]], ["code", "active"], context={"active_test": False})
        by_material: dict[str, list[dict]] = defaultdict(list)
        for row in found:
            by_material[str(row["code"]).rsplit("/", 2)[0]].append(row)
        current = {p["_product_id"]: p["_link_ids"][0] for p in products.values() if p["_link_ids"]}
        linked = self._linked_boms(list(current.values()))
        result, creates = {}, []
        for key, bom in desired.items():
            versions = by_material.get(bom["material"], [])
            product_id = products[bom["material"]]["_product_id"]
            now = linked.get(current.get(product_id))
            same = [r for r in versions if str(r["code"]).endswith(f"/{bom['digest']}")]
            if same and (now is None or same[-1]["id"] >= now):
                result[key] = (same[-1]["id"], False)  # committed by a call whose answer was lost, or current
                continue
            code = f"{bom['material']}/v{len(versions) + 1}/{bom['digest']}"
            creates.append((key, {"name": f"{bom['material']} v{len(versions) + 1}", "code": code,
                                  "inputs": [["create", bom["inputs"]]], "outputs": [["create", [bom["output"]]]]}))
        for run in chunked(creates, self.batch_size, weight=lambda kv: 1 + len(kv[1]["inputs"][0][1]) + 1):
            ids = self.rpc.model("production.bom", "create", [values for _, values in run])
            result.update({key: (bom_id, True) for (key, _), bom_id in zip(run, ids, strict=True)})
        return result

    def _linked_boms(self, link_ids: list[int]) -> dict[int, int]:
        if not link_ids:
            return {}
        rows = self.rpc.model("product.product-production.bom", "read", link_ids, ["bom"])
        return {r["id"]: r["bom"] for r in rows}

    def _switch_links(self, versions: dict[str, tuple[int, bool]], products: Mapping[str, Mapping]) -> int:
        """Point each product's first `boms` link at its new version (create the link the first time)."""
        linked = self._linked_boms([p["_link_ids"][0] for p in products.values() if p["_link_ids"]])
        writes, creates = [], []
        for key, (bom_id, _) in sorted(versions.items()):
            product = products[split_key(key)[0]]
            if not product["_link_ids"]:
                creates.append({"product": product["_product_id"], "bom": bom_id})
            elif linked.get(product["_link_ids"][0]) != bom_id:
                writes.append(([product["_link_ids"][0]], {"bom": bom_id}))
        for run in chunked(creates, self.batch_size):
            self.rpc.model("product.product-production.bom", "create", run)
        for run in chunked(writes, self.batch_size):
            self.rpc.model("product.product-production.bom", "write", *[x for pair in run for x in pair])
        return len(creates) + len(writes)

    def _retire_stale_versions(self, product_ids: list[int]) -> None:
        """Deactivate active BOMs of these products that no link names any more (kept, not deleted)."""
        if not product_ids:
            return
        links = self.rpc.search_read("product.product-production.bom", [("product", "in", product_ids)], ["bom"])
        keep = [link["bom"] for link in links]
        stale = self.rpc.model("production.bom", "search",
                               [("output_products", "in", product_ids), ("id", "not in", keep or [0])], 0, None, None)
        if stale:
            self.rpc.model("production.bom", "write", stale, {"active": False})

    # ---- connection check ----------------------------------------------------------------------------

    def test_connection(self) -> dict[str, Any]:
        """Login + a read + the server version; never raises for a Tryton-side failure (ok=False + error)."""
        import time

        from resources.transport import ApiError

        facts: dict[str, Any] = {"ok": False, "system": "tryton", "base_url": str(self.rpc.api.http.base_url),
                                 "database": self.rpc.database}
        started = time.monotonic()
        try:
            facts["units"] = len(self.uom_ids())
            facts["version"] = self.rpc.server_version()
        except ApiError as err:
            facts["error"] = err.as_dict()
            return facts
        facts["latency_s"] = round(time.monotonic() - started, 4)
        facts["ok"] = True
        return facts
