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
The write steps and the state-store recording are in `resources.erp.tryton.writer`.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from resources.erp.tryton.rpc import TrytonRPC, chunked
from resources.erp.tryton.writer import TrytonPlanWriter
from resources.transport import ApiError
from sync.checksum import checksum
from sync.flows import BOM_FLOW
from sync.keys import SEP, split_key
from sync.plan import PlanItem
from sync.spec import MappingSpec

if TYPE_CHECKING:  # named in type hints only
    from resources.state.store import StateStore

log = logging.getLogger("resources.erp.tryton")
TEMPLATE_FIELDS = ("name", "type", "default_uom", "producible")
PRODUCT_READ = [
    "code",
    "template",
    "template.name",
    "template.type",
    "template.default_uom.symbol",
    "template.producible",
    "boms",
]
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
    return format(Decimal(str(value)).normalize(), "f")


class TrytonERPClient:
    """Thread-safe; use as a context manager. `plant`/`usage` fill the canonical BOM key (Tryton has neither)."""

    def __init__(
        self, rpc: TrytonRPC, *, plant: str = "WH", usage: str = "1", batch_size: int = 80, logger: Any = None
    ) -> None:
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
                "Product": row["code"],
                "name": template.get("name"),
                "type": template.get("type"),
                "default_uom": (template.get("default_uom.") or {}).get("symbol"),
                "producible": bool(template.get("producible")),
                "_product_id": row["id"],
                "_template_id": row["template"],
                "_link_ids": list(row.get("boms") or []),
            }
        return out

    def read_boms(
        self,
        materials: Iterable[str],
        plant: str | None = None,
        usage: str | None = None,
        *,
        include_drafts: bool = False,
    ) -> dict[str, TrytonBom]:
        """The current BOM (the first `boms` link) of each material that has one, in 5 reads. Tryton has no
        draft BOMs (a version is complete when created), so `include_drafts` changes nothing."""
        plant, usage = plant or self.plant, usage or self.usage
        products = self.read_materials(materials)
        link_ids = [p["_link_ids"][0] for p in products.values() if p["_link_ids"]]
        if not link_ids:
            return {}
        links = self.rpc.model("product.product-production.bom", "read", link_ids, ["product", "bom", "bom.code"])
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
            header = {
                **address,
                "output_quantity": _number(output.get("quantity", 1)),
                "output_unit": (output.get("unit.") or {}).get("symbol"),
                "_bom_id": bom_id,
                "_code": (link.get("bom.") or {}).get("code"),
                "_link_id": link["id"],
            }
            items = [
                {
                    **address,
                    "BillOfMaterialItemNumber": line["product."]["code"],
                    "BillOfMaterialComponent": line["product."]["code"],
                    "quantity": _number(line["quantity"]),
                    "unit": line["unit."]["symbol"],
                    "_line_id": line["id"],
                }
                for line in by_bom[bom_id]
            ]
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

    # ---- writes (building blocks of `TrytonPlanWriter`) -------------------------------------------------

    def plan_writer(
        self,
        store: StateStore | None,
        run_id: int,
        flow: str,
        spec: MappingSpec | None,
        source_versions: Mapping[str, str],
        log: logging.Logger | Any | None = None,
        change_number: str | None = None,
        change_numbers: Mapping[str, str] | None = None,  # Tryton keeps no change history on a BOM
    ) -> TrytonPlanWriter:
        """A writer for one apply step (see `resources.erp.interface.PlanApplier`)."""
        return TrytonPlanWriter(self, store, run_id, flow, spec, source_versions, log, change_number)

    def apply(self, plan_items: Iterable[PlanItem]) -> dict[str, int]:
        """Apply a whole plan without a state store (CLI runs, tests, benchmarks); raises the first typed
        error. Counts: materials created/updated, BOM versions created, links switched."""
        return self.plan_writer(None, 0, BOM_FLOW, None, {}, self._log).apply_plan(plan_items)

    def _unit_id(self, symbol: Any, what: str) -> int:
        if symbol not in self.uom_ids():
            raise ValueError(f"tryton: {what}: unit {symbol!r} is not a Tryton unit")
        return self.uom_ids()[symbol]

    def template_create_values(self, number: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`product.template.create` values for one material: its variant nested, the code on the template."""
        values = {f: payload[f] for f in TEMPLATE_FIELDS if f in payload}
        values["default_uom"] = self._unit_id(values.get("default_uom"), f"material {number}")
        return {**values, "code": number, "products": [["create", [{}]]]}

    def template_changes(self, now: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        """The template fields that differ from what Tryton holds, as `write` values."""
        change = {f: payload[f] for f in TEMPLATE_FIELDS if f in payload and now.get(f) != payload[f]}
        if "default_uom" in change:
            change["default_uom"] = self._unit_id(change["default_uom"], f"material {now.get('Product')}")
        return change

    @staticmethod
    def materials_of(levels: Mapping[str, list[PlanItem]]) -> list[str]:
        """Parents and components named by these BOM levels."""
        numbers = {split_key(k)[0] for k in levels}
        numbers |= {
            str(i.after["BillOfMaterialComponent"])
            for items in levels.values()
            for i in items
            if i.entity == "bom_item" and i.after
        }
        return sorted(numbers)

    def bom_values(self, items: list[PlanItem], products: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """The complete desired BOM of one level (inputs sorted by component, one output) and its digest."""
        header = next((i.after for i in items if i.entity == "bom_header" and i.after), None)
        if header is None:
            raise ValueError(f"tryton: BOM {items[0].key}: the plan has item changes but no desired header")
        material = str(header["Material"])

        def line(product: str, quantity: Any, unit: Any, what: str) -> dict[str, Any]:
            if product not in products:
                raise ValueError(f"tryton: BOM {material}: {what} {product!r} is not a Tryton product")
            return {
                "product": products[product]["_product_id"],
                "quantity": float(Decimal(str(quantity))),
                "unit": self._unit_id(unit, f"BOM {material}: {what} {product}"),
            }

        lines = sorted(
            (i.after for i in items if i.entity == "bom_item" and i.after),
            key=lambda x: str(x["BillOfMaterialItemNumber"]),
        )
        inputs = [line(str(x["BillOfMaterialComponent"]), x["quantity"], x["unit"], "component") for x in lines]
        output = line(material, header.get("output_quantity") or 1, header["output_unit"], "parent")
        return {
            "material": material,
            "digest": checksum({"inputs": inputs, "output": output})[:12],
            "inputs": inputs,
            "output": output,
        }

    def current_versions(self, products: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[int, str]]:
        """material -> (bom id, bom code) of the version its first `boms` link names."""
        first = {p["_link_ids"][0]: n for n, p in products.items() if p["_link_ids"]}
        if not first:
            return {}
        rows = self.rpc.model("product.product-production.bom", "read", list(first), ["bom", "bom.code"])
        return {first[r["id"]]: (r["bom"], (r.get("bom.") or {}).get("code") or "") for r in rows}

    def versions_of(self, materials: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Every BOM version (active or not) of these materials, by material, oldest first."""
        if not materials:
            return {}
        domain = ["OR", *[[("code", "like", f"{m}/v%")] for m in materials]]
        rows = self.rpc.model(
            "production.bom", "search_read", domain, 0, None, [["id", "ASC"]], ["code"], context={"active_test": False}
        )
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            out[str(row["code"]).rsplit("/", 2)[0]].append(row)
        return out

    def create_versions(
        self, boms: Mapping[str, dict], existing: Mapping[str, list[dict]], current: Mapping[str, tuple[int, str]]
    ) -> tuple[dict[str, tuple[int, bool]], int]:
        """header key -> (bom id, created now), in one `create` call; a version with the same content that
        is newer than the linked one (a lost answer's commit) is reused. Returns the calls made too."""
        result, creates = {}, []
        for key, bom in boms.items():
            versions = existing.get(bom["material"], [])
            linked = current.get(bom["material"], (0, ""))[0]
            same = [r for r in versions if str(r["code"]).endswith(f"/{bom['digest']}") and r["id"] > linked]
            if same:
                result[key] = (same[-1]["id"], False)
                continue
            number = len(versions) + 1
            creates.append(
                (
                    key,
                    {
                        "name": f"{bom['material']} v{number}",
                        "code": f"{bom['material']}/v{number}/{bom['digest']}",
                        "inputs": [["create", bom["inputs"]]],
                        "outputs": [["create", [bom["output"]]]],
                    },
                )
            )
        if not creates:
            return result, 0
        ids = self.rpc.model("production.bom", "create", [values for _, values in creates])
        result.update({key: (bom_id, True) for (key, _), bom_id in zip(creates, ids, strict=True)})
        return result, 1

    def switch_links(
        self, versions: Mapping[str, tuple[int, bool]], products: Mapping[str, Mapping[str, Any]]
    ) -> tuple[int, int]:
        """Point each product's first `boms` link at its new version (created the first time); returns
        (links switched, calls made)."""
        writes, creates = [], []
        for key, (bom_id, _) in sorted(versions.items()):
            product = products[split_key(key)[0]]
            if product["_link_ids"]:
                writes.append(([product["_link_ids"][0]], {"bom": bom_id}))
            else:
                creates.append({"product": product["_product_id"], "bom": bom_id})
        calls = 0
        for run in chunked(creates, self.batch_size):
            self.rpc.model("product.product-production.bom", "create", run)
            calls += 1
        for run in chunked(writes, self.batch_size):
            self.rpc.model("product.product-production.bom", "write", *[x for pair in run for x in pair])
            calls += 1
        return len(creates) + len(writes), calls

    def retire_stale_versions(self, product_ids: list[int]) -> int:
        """Deactivate active BOMs of these products that no link names any more (kept, not deleted);
        returns the write calls made (0 when nothing is stale)."""
        if not product_ids:
            return 0
        links = self.rpc.search_read("product.product-production.bom", [("product", "in", product_ids)], ["bom"])
        keep = [link["bom"] for link in links] or [0]
        stale = self.rpc.model(
            "production.bom", "search", [("output_products", "in", product_ids), ("id", "not in", keep)], 0, None, None
        )
        if not stale:
            return 0
        self.rpc.model("production.bom", "write", stale, {"active": False})
        return 1

    # ---- connection check ----------------------------------------------------------------------------

    def test_connection(self) -> dict[str, Any]:
        """Login + a read + the server version; never raises for a Tryton-side failure (ok=False + error)."""
        facts: dict[str, Any] = {
            "ok": False,
            "system": "tryton",
            "base_url": str(self.rpc.api.http.base_url),
            "database": self.rpc.database,
        }
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
