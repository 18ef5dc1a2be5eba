"""`ERPClient`: the SAP S/4HANA (OData v2) ERP as seen by the assets (`ERPResource` builds it).

Services: API_PRODUCT_SRV (A_Product + to_Description + to_Plant) and API_BILL_OF_MATERIAL_SRV;v=0002
(MaterialBOM, MaterialBOMItem, ReleaseVersionBOM); the maintenance services (reservations, goods movements,
stock, equipment, maintenance orders) are `ERPClient.maintenance` (resources/erp/sap/maintenance.py);
`$batch` calls are sent by resources/erp/sap/batch_calls.py.
Auth: OAuth 2.0 client credentials (default) or Basic; CSRF tokens for writes (resources/erp/sap/http.py);
typed errors carry SAP's message code. Payloads are the flat dicts of resources/erp/sap/payloads.py (read
extras under "_" keys are documented there).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from resources.erp.sap.batch import BOM_SERVICE, PRODUCT_SERVICE, ChangesetResult, Operation, release_path
from resources.erp.sap.batch_calls import send_changesets
from resources.erp.sap.boms import ERPBom, bom_from_entity, current_version, next_version, version_number
from resources.erp.sap.http import SapCsrf, odata_get, send_write
from resources.erp.sap.maintenance import MaintenanceServices
from resources.erp.sap.odata import chunks, key_predicate, odata_filter
from resources.erp.sap.payloads import (
    BOM_HEADER_FIELDS,
    BOM_ITEM_FIELDS,
    bom_item_from_sap,
    bom_item_to_sap,
    material_from_sap,
    material_to_sap,
    split_material_changes,
)
from resources.erp.sap.writer import PlanWriter
from resources.transport import ApiClient, ApiError, NotFoundError, SystemClient

if TYPE_CHECKING:  # named in type hints only
    from resources.state.store import StateStore
    from sync.spec import MappingSpec

log = logging.getLogger("resources.erp.sap.client")
MATERIAL_EXPAND = "to_Description,to_Plant"


class ERPClient(SystemClient):
    """Thread-safe SAP OData v2 client over the shared transport; use as a context manager.

    The SAP kind of `resources.erp.interface.ERPConnection`: reads, read-back and `plan_writer`. Its
    `metrics` events include `csrf_fetch` and `token_fetch`; `close()` ends the token session too.
    """

    def __init__(
        self,
        api: ApiClient,
        *,
        plant: str,
        batch_size: int,
        read_chunk_size: int,
        logger: logging.Logger | Any | None = None,
    ) -> None:
        super().__init__(api)
        self.plant = plant
        self.batch_size = batch_size
        self.read_chunk_size = read_chunk_size
        self._log = logger or log
        self.maintenance = MaintenanceServices(api, self.batch, plant=plant, read_chunk_size=read_chunk_size)

    # ---- generic OData reads ---------------------------------------------------------------------------

    def iter_entities(
        self,
        service: str,
        entity_set: str,
        *,
        filter: str | None = None,
        select: Iterable[str] | None = None,
        expand: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Raw OData entities of a collection, following server-driven paging (`__next`)."""
        params: dict[str, Any] = {"$format": "json"}
        for name, value in (("$filter", filter), ("$expand", expand), ("$orderby", orderby)):
            if value:
                params[name] = value
        if select:
            params["$select"] = ",".join(select)
        if top is not None:
            params["$top"] = str(top)
        route = f"{service}/{entity_set}"
        url: str | None = route
        while url is not None:
            d = odata_get(self.api, url, route=route, params=params)
            yield from d.get("results", [])
            url, params = d.get("__next"), None  # __next carries the whole query

    # ---- materials -------------------------------------------------------------------------------------

    def read_materials(self, products: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Flat materials by SAP's Product key (SAP upper-cases numbers); absent keys are simply missing."""
        keys = sorted({p.upper() for p in products})
        out: dict[str, dict[str, Any]] = {}
        for chunk in chunks(keys, self.read_chunk_size):  # keeps each URL well under gateway limits
            for entity in self.iter_entities(
                PRODUCT_SERVICE, "A_Product", filter=odata_filter(Product__in=chunk), expand=MATERIAL_EXPAND
            ):
                flat = material_from_sap(entity, self.plant)
                out[flat["Product"]] = flat
        return out

    def read_material(self, product: str) -> dict[str, Any]:
        """One flat material; NotFoundError if SAP does not know it."""
        d = odata_get(
            self.api,
            f"{PRODUCT_SERVICE}/A_Product{key_predicate(Product=product.upper())}",
            route=f"{PRODUCT_SERVICE}/A_Product(...)",
            params={"$expand": MATERIAL_EXPAND},
        )
        return material_from_sap(d, self.plant)

    def materials_changed_since(self, since: datetime) -> list[dict[str, Any]]:
        """Flat materials whose LastChangeDateTime is after `since` (aware datetime)."""
        if since.tzinfo is None:
            raise ValueError("materials_changed_since needs an aware datetime (e.g. datetime.now(UTC))")
        entities = self.iter_entities(
            PRODUCT_SERVICE, "A_Product", expand=MATERIAL_EXPAND, filter=odata_filter(LastChangeDateTime__gt=since)
        )
        return [material_from_sap(e, self.plant) for e in entities]

    def create_material(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Deep insert of product + EN description + plant data; returns the stored flat material."""
        body = material_to_sap(payload, self.plant)
        plant = body["to_Plant"]["results"][0]["Plant"]
        response = send_write(
            self.api,
            "POST",
            f"{PRODUCT_SERVICE}/A_Product",
            route=f"{PRODUCT_SERVICE}/A_Product",
            json=body,
            headers={"Accept": "application/json"},
        )
        return material_from_sap(response.json()["d"], plant)

    def update_material(self, product: str, changes: Mapping[str, Any], etag: str) -> dict[str, Any]:
        """PATCH what changed, the first write with If-Match (stale etag -> PreconditionFailedError): product
        fields, then description and plant data (created when missing). Returns the material as stored."""
        header, description, plant = split_material_changes(product, changes)
        product = product.upper()
        if not etag:
            raise ValueError(f"material {product}: update_material needs the etag read with the material")
        lock: dict[str, str] | None = {"If-Match": etag}  # the etag guards the first write; it then moves
        if header:
            send_write(
                self.api,
                "PATCH",
                f"{PRODUCT_SERVICE}/A_Product{key_predicate(Product=product)}",
                route=f"{PRODUCT_SERVICE}/A_Product(...)",
                json=header,
                headers=lock,
            )
            lock = None
        if description:
            self._upsert_child(product, "A_ProductDescription", "to_Description", {"Language": "EN"}, description, lock)
            lock = None
        plant_code = plant.pop("Plant", self.plant)
        if plant:
            self._upsert_child(product, "A_ProductPlant", "to_Plant", {"Plant": plant_code}, plant, lock)
        return self.read_material(product)

    def _upsert_child(
        self,
        product: str,
        entity_set: str,
        nav: str,
        keys: dict[str, str],
        changes: dict[str, Any],
        lock: dict[str, str] | None = None,
    ) -> None:
        path = f"{PRODUCT_SERVICE}/{entity_set}{key_predicate(Product=product, **keys)}"
        try:
            send_write(
                self.api, "PATCH", path, route=f"{PRODUCT_SERVICE}/{entity_set}(...)", json=changes, headers=lock
            )
        except NotFoundError:
            send_write(
                self.api,
                "POST",
                f"{PRODUCT_SERVICE}/A_Product{key_predicate(Product=product)}/{nav}",
                route=f"{PRODUCT_SERVICE}/A_Product(...)/{nav}",
                json={**keys, **changes},
                headers={"Accept": "application/json"},
            )

    def mark_material_for_deletion(self, product: str, etag: str) -> dict[str, Any]:
        """SAP never deletes a product: it sets IsMarkedForDeletion (If-Match as for updates)."""
        product = product.upper()
        send_write(
            self.api,
            "PATCH",
            f"{PRODUCT_SERVICE}/A_Product{key_predicate(Product=product)}",
            route=f"{PRODUCT_SERVICE}/A_Product(...)",
            json={"IsMarkedForDeletion": True},
            headers={"If-Match": etag},
        )
        return self.read_material(product)

    # ---- BOMs --------------------------------------------------------------------------------------------

    def bom_versions_of(self, materials: Iterable[str], plant: str, usage: str = "1") -> dict[str, list[ERPBom]]:
        """Every MaterialBOM version (drafts, released, superseded) of many materials, with items, oldest
        first: one `$filter` read per chunk of materials, not one per BOM."""
        keys = sorted({m.upper() for m in materials})
        found: dict[str, list[ERPBom]] = {key: [] for key in keys}
        for chunk in chunks(keys, self.read_chunk_size):  # keeps each URL well under gateway limits
            flt = odata_filter(Material__in=chunk, Plant=plant, BillOfMaterialVariantUsage=usage)
            for entity in self.iter_entities(BOM_SERVICE, "MaterialBOM", filter=flt, expand="to_BillOfMaterialItem"):
                bom = bom_from_entity(entity)
                found.setdefault(bom.material, []).append(bom)
        return {key: sorted(boms, key=lambda b: version_number(b.header)) for key, boms in found.items()}

    def bom_versions(self, material: str, plant: str, usage: str = "1") -> list[ERPBom]:
        """Every MaterialBOM version (drafts, released, superseded) of one material/plant/usage, with items."""
        return self.bom_versions_of([material], plant, usage)[material.upper()]

    def read_boms(
        self, materials: Iterable[str], plant: str, usage: str = "1", *, include_drafts: bool = False
    ) -> dict[str, ERPBom]:
        """The released (active) BOM of each material that has one (see `read_bom`), in bulk reads."""
        versions = self.bom_versions_of(materials, plant, usage)
        return {m: bom for m, boms in versions.items() if (bom := current_version(boms, include_drafts)) is not None}

    def read_bom(self, material: str, plant: str, usage: str = "1", *, include_drafts: bool = False) -> ERPBom | None:
        """The released (active) BOM; with `include_drafts`, the newest version that is a draft or released."""
        return current_version(self.bom_versions(material, plant, usage), include_drafts)

    def read_bom_by_keys(self, bom: ERPBom) -> ERPBom:
        """Re-read one BOM version (header + items) by its keys."""
        d = odata_get(
            self.api,
            f"{BOM_SERVICE}/MaterialBOM{bom.key_predicate()}",
            route=f"{BOM_SERVICE}/MaterialBOM(...)",
            params={"$expand": "to_BillOfMaterialItem"},
        )
        return bom_from_entity(d)

    def next_bom_version(self, material: str, plant: str, usage: str = "1") -> str:
        return next_version(self.bom_versions(material, plant, usage))

    def create_bom(self, header: Mapping[str, Any], items: list[Mapping[str, Any]], draft: bool = True) -> ERPBom:
        """Deep insert of a new BOM version with its items, as a draft (status 10) unless `draft=False`,
        in which case it is released right away (superseding the previous released version)."""
        usage = str(header.get("BillOfMaterialVariantUsage") or "1")
        version = self.next_bom_version(str(header.get("Material", "")), str(header.get("Plant", "")), usage)
        op = Operation.create_bom(header, items, draft=True, version=version)
        response = send_write(
            self.api,
            "POST",
            f"{BOM_SERVICE}/MaterialBOM",
            route=f"{BOM_SERVICE}/MaterialBOM",
            json=op.parts[0].body,
            headers={"Accept": "application/json"},
        )
        bom = bom_from_entity(response.json()["d"])
        return bom if draft else self.release_bom_version(bom)

    def create_draft_version(
        self,
        material: str,
        plant: str,
        usage: str = "1",
        *,
        header: Mapping[str, Any] | None = None,
        items: list[Mapping[str, Any]] | None = None,
    ) -> ERPBom:
        """A new draft version; header/items default to a copy of the released version's."""
        released = self.read_bom(material, plant, usage)
        base_header = {k: v for k, v in (released.header if released else {}).items() if k in BOM_HEADER_FIELDS}
        new_header = {
            **base_header,
            **(header or {}),
            "Material": material,
            "Plant": plant,
            "BillOfMaterialVariantUsage": usage,
        }
        if items is None:
            items = [
                {k: v for k, v in i.items() if k in BOM_ITEM_FIELDS and v is not None}
                for i in (released.items if released else [])
            ]
        return self.create_bom({k: v for k, v in new_header.items() if v is not None}, items, draft=True)

    def create_bom_item(self, bom: ERPBom, item: Mapping[str, Any]) -> dict[str, Any]:
        path = f"{BOM_SERVICE}/MaterialBOM{bom.key_predicate()}/to_BillOfMaterialItem"
        response = send_write(
            self.api,
            "POST",
            path,
            route=f"{BOM_SERVICE}/MaterialBOM(...)/to_BillOfMaterialItem",
            json=bom_item_to_sap(item, bom.name),
            headers={"Accept": "application/json"},
        )
        created = bom_item_from_sap(response.json()["d"])
        bom.items.append(created)
        return created

    def update_bom_item(
        self, bom: ERPBom, item_number: str, changes: Mapping[str, Any], etag: str | None = None
    ) -> dict[str, Any]:
        """PATCH one item (If-Match when an etag is given); returns the item as stored afterwards."""
        path = f"{BOM_SERVICE}/{bom.item_path(item_number)}"
        route = f"{BOM_SERVICE}/MaterialBOMItem(...)"
        send_write(
            self.api,
            "PATCH",
            path,
            route=route,
            json=bom_item_to_sap(changes, bom.name),
            headers={"If-Match": etag} if etag else None,
        )
        fresh = bom_item_from_sap(odata_get(self.api, path, route=route))
        bom.items[bom.items.index(bom.item(item_number))] = fresh
        return fresh

    def delete_bom_item(self, bom: ERPBom, item_number: str) -> None:
        item = bom.item(item_number)
        send_write(
            self.api,
            "DELETE",
            f"{BOM_SERVICE}/{bom.item_path(item_number)}",
            route=f"{BOM_SERVICE}/MaterialBOMItem(...)",
        )
        bom.items.remove(item)

    def release_bom_version(self, bom: ERPBom) -> ERPBom:
        """Call ReleaseVersionBOM; returns the version as stored afterwards (status 20)."""
        send_write(
            self.api,
            "POST",
            f"{BOM_SERVICE}/{release_path(bom.material, bom.plant, bom.version, bom.bom_id)}",
            route=f"{BOM_SERVICE}/ReleaseVersionBOM",
            headers={"Accept": "application/json"},
        )
        return self.read_bom_by_keys(bom)

    # ---- applying plans -------------------------------------------------------------------------------------

    def plan_writer(
        self,
        store: StateStore,
        run_id: int,
        flow: str,
        spec: MappingSpec,
        source_versions: Mapping[str, str],
        log: logging.Logger | Any | None = None,
        change_number: str | None = None,
        change_numbers: Mapping[str, str] | None = None,
    ) -> PlanWriter:
        """A `PlanWriter` over this client for one apply step (see `resources.erp.interface.PlanApplier`)."""
        return PlanWriter(
            self,
            store,
            run_id,
            flow,
            spec,
            source_versions,
            log,
            change_number=change_number,
            change_numbers=change_numbers,
        )

    # ---- $batch --------------------------------------------------------------------------------------------

    def batch(self, changesets: list[list[Operation]]) -> list[ChangesetResult]:
        """Send change sets in as few `$batch` calls as `batch_size` allows; one result per change set, in order."""
        return send_changesets(self.api, changesets, batch_size=self.batch_size, log=self._log)

    # ---- connection check ---------------------------------------------------------------------------------

    def test_connection(self) -> dict[str, Any]:
        """Reachability + auth (token or Basic) + read permission on both services + a CSRF token (write
        session). Never raises for an ERP-side failure: returns ok=False with the typed error's fields."""
        facts: dict[str, Any] = {"ok": False, "system": "erp", "base_url": str(self.api.http.base_url)}
        try:
            facts["products_readable"] = bool(
                list(self.iter_entities(PRODUCT_SERVICE, "A_Product", top=1, select=["Product"])) or True
            )
            facts["boms_readable"] = bool(
                list(self.iter_entities(BOM_SERVICE, "MaterialBOM", top=1, select=["BillOfMaterial"])) or True
            )
            for hook in self.api._hooks:  # the CSRF fetch proves the user may open a write session
                if isinstance(hook, SapCsrf):
                    hook._fetch(self.api)
                    facts["csrf_token"] = "obtained"
        except ApiError as err:
            facts["error"] = err.as_dict()
            return facts
        facts["ok"] = True
        return facts
