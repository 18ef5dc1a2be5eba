"""`ERPBom`: one SAP MaterialBOM version as the client reads it, and the version rules (current, next)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resources.erp.sap.odata import key_predicate
from resources.erp.sap.payloads import RELEASED_STATUSES, bom_header_from_sap, bom_item_from_sap

DRAFT_STATUS = "10"


@dataclass
class ERPBom:
    """One MaterialBOM version: flat header (with "_" extras) and its flat items, sorted by item number."""

    header: dict[str, Any]
    items: list[dict[str, Any]]

    @property
    def material(self) -> str:
        return self.header["Material"]

    @property
    def plant(self) -> str:
        return self.header["Plant"]

    @property
    def usage(self) -> str:
        return self.header["BillOfMaterialVariantUsage"]

    @property
    def bom_id(self) -> str:
        return self.header["_bom_id"]

    @property
    def version(self) -> str:
        return self.header["_version"]

    @property
    def status(self) -> str:
        return self.header["_version_status"]

    @property
    def is_released(self) -> bool:
        return self.status in RELEASED_STATUSES

    @property
    def is_retired(self) -> bool:
        """Flagged for deletion (SAP's "delete BOM"): production no longer uses it."""
        return bool(self.header.get("_marked_for_deletion"))

    @property
    def is_active(self) -> bool:
        return self.is_released and not self.is_retired

    @property
    def name(self) -> str:
        return f"{self.material}/{self.plant}/{self.usage} v{self.version or '-'}"

    def key_predicate(self) -> str:
        return key_predicate(**self.header["_keys"])

    def item(self, item_number: str) -> dict[str, Any]:
        """The item with this number ('10' and '0010' are the same); NotFound-style KeyError if absent."""
        wanted = str(item_number).zfill(4)
        for item in self.items:
            if str(item["BillOfMaterialItemNumber"]).zfill(4) == wanted:
                return item
        raise KeyError(f"BOM {self.name} has no item {item_number}")

    def item_path(self, item_number: str) -> str:
        return f"MaterialBOMItem{key_predicate(**self.item(item_number)['_keys'])}"


def current_version(versions: list[ERPBom], include_drafts: bool) -> ERPBom | None:
    """The newest released version (with `include_drafts`, the newest draft or released one), or None;
    a version flagged for deletion is no BOM any more."""
    wanted = (*RELEASED_STATUSES, DRAFT_STATUS) if include_drafts else RELEASED_STATUSES
    candidates = [b for b in versions if b.status in wanted and not b.is_retired]
    return candidates[-1] if candidates else None


def next_version(versions: list[ERPBom]) -> str:
    """The version number a new BOM version gets after these."""
    return str(max((version_number(b.header) for b in versions), default=0) + 1)


def bom_from_entity(entity: Mapping[str, Any]) -> ERPBom:
    """An OData MaterialBOM entity (items expanded) as an `ERPBom`."""
    items = entity.get("to_BillOfMaterialItem", {})
    raw_items = items.get("results", []) if isinstance(items, Mapping) else []
    flat = sorted((bom_item_from_sap(i) for i in raw_items), key=lambda i: str(i["BillOfMaterialItemNumber"]))
    return ERPBom(bom_header_from_sap(entity), flat)


def version_number(header: Mapping[str, Any]) -> int:
    version = header.get("_version") or "0"
    return int(version) if str(version).isdigit() else 0
