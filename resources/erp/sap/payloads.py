"""The flat payload contract <-> SAP's nested OData v2 shapes, for materials and BOMs.

The sync engine speaks FLAT dicts of SAP field names (see MATERIAL_FIELDS, BOM_HEADER_FIELDS,
BOM_ITEM_FIELDS); this module builds SAP's deep-insert bodies from them and flattens SAP's entities back.
Reads add read-only extras under keys starting with "_":

- materials: `_etag` (str, A_Product's etag), `_last_change` (datetime, LastChangeDateTime),
  `_created_on` (datetime, CreationDate), `_marked_for_deletion` (bool), `_plants` (list of plant codes).
- BOM headers: `_bom_id` (BillOfMaterial), `_variant` (BillOfMaterialVariant), `_version`
  (BillOfMaterialVersion), `_version_status` (BOMVersionStatus), `_is_released` (bool),
  `_marked_for_deletion` (bool: a retired BOM), `_etag`, `_last_change` (datetime or None), `_keys` (dict:
  MaterialBOM key fields).
- BOM items: `_node` (BillOfMaterialItemNodeNumber), `_etag`, `_keys` (dict: MaterialBOMItem key fields),
  `_change_number` (EngineeringChangeDocument of the item's last change under engineering change management).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from resources.erp.sap.odata import decode_entity, encode_value, entity_etag

LANGUAGE = "EN"
MATERIAL_FIELDS = (
    "Product",
    "ProductDescription",
    "ProductType",
    "BaseUnit",
    "ProductGroup",
    "Plant",
    "ProcurementType",
)
PRODUCT_LEVEL_FIELDS = ("ProductType", "BaseUnit", "ProductGroup", "IsMarkedForDeletion")
MATERIAL_REQUIRED = ("Product", "ProductType", "BaseUnit")
BOM_HEADER_FIELDS = (
    "Material",
    "Plant",
    "BillOfMaterialVariantUsage",
    "BOMHeaderBaseUnit",
    "BOMHeaderQuantityInBaseUnit",
)
BOM_ITEM_FIELDS = (
    "BillOfMaterialItemNumber",
    "BillOfMaterialComponent",
    "BillOfMaterialItemCategory",
    "BillOfMaterialItemQuantity",
    "BillOfMaterialItemUnit",
    "BOMItemDescription",
    "BOMItemText2",
)
BOM_KEY_FIELDS = (
    "BillOfMaterial",
    "BillOfMaterialCategory",
    "BillOfMaterialVariant",
    "BillOfMaterialVersion",
    "EngineeringChangeDocument",
    "Material",
    "Plant",
)
BOM_ITEM_KEY_FIELDS = (
    "BillOfMaterial",
    "BillOfMaterialCategory",
    "BillOfMaterialVariant",
    "BillOfMaterialVersion",
    "BillOfMaterialItemNodeNumber",
    "HeaderChangeDocument",
    "Material",
    "Plant",
)
RELEASED_STATUSES = ("", "20")  # SAP: version status 20 = released; "" = a BOM without versions


def _check_fields(payload: Mapping[str, Any], allowed: tuple[str, ...], what: str, name: str) -> None:
    unknown = sorted(k for k in payload if k not in allowed and not str(k).startswith("_"))
    if unknown:
        raise ValueError(f"{what} {name}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")


def _public(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the read-only "_" extras so a read dict can be sent back."""
    return {k: v for k, v in payload.items() if not str(k).startswith("_")}


# ---- materials ---------------------------------------------------------------------------------------


def material_to_sap(payload: Mapping[str, Any], default_plant: str) -> dict[str, Any]:
    """Flat material -> A_Product deep-insert body (to_Description in EN, to_Plant)."""
    name = str(payload.get("Product", "?"))
    _check_fields(payload, MATERIAL_FIELDS, "material", name)
    missing = [f for f in MATERIAL_REQUIRED if not payload.get(f)]
    if missing:
        raise ValueError(f"material {name}: required field(s) missing: {', '.join(missing)}")
    body: dict[str, Any] = {f: payload[f] for f in ("Product", "ProductType", "BaseUnit") if f in payload}
    if payload.get("ProductGroup") is not None:
        body["ProductGroup"] = payload["ProductGroup"]
    if payload.get("ProductDescription") is not None:
        body["to_Description"] = {
            "results": [
                {
                    "Product": payload["Product"],
                    "Language": LANGUAGE,
                    "ProductDescription": payload["ProductDescription"],
                }
            ]
        }
    plant = payload.get("Plant") or default_plant
    plant_row: dict[str, Any] = {"Product": payload["Product"], "Plant": plant}
    if payload.get("ProcurementType") is not None:
        plant_row["ProcurementType"] = payload["ProcurementType"]
    body["to_Plant"] = {"results": [plant_row]}
    return body


def split_material_changes(product: str, changes: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    """(A_Product changes, A_ProductDescription changes, A_ProductPlant changes incl. target Plant)."""
    allowed = (*MATERIAL_FIELDS, "IsMarkedForDeletion")
    _check_fields(changes, allowed, "material", product)
    changes = _public(changes)
    if "Product" in changes and str(changes["Product"]).upper() != product.upper():
        raise ValueError(f"material {product}: the key field Product cannot be changed")
    header = {k: v for k, v in changes.items() if k in PRODUCT_LEVEL_FIELDS}
    description = {k: v for k, v in changes.items() if k == "ProductDescription"}
    plant = {k: v for k, v in changes.items() if k == "ProcurementType"}
    if "Plant" in changes:
        plant["Plant"] = changes["Plant"]
    return header, description, plant


def material_from_sap(entity: Mapping[str, Any], preferred_plant: str) -> dict[str, Any]:
    """A_Product entity (with to_Description and to_Plant expanded) -> flat material + "_" extras."""
    data = decode_entity(entity)
    descriptions = data.get("to_Description") or []
    plants = data.get("to_Plant") or []
    text = next(
        (d.get("ProductDescription") for d in descriptions if d.get("Language") == LANGUAGE),
        descriptions[0].get("ProductDescription") if descriptions else None,
    )
    plant = next((p for p in plants if p.get("Plant") == preferred_plant), plants[0] if plants else {})
    return {
        "Product": data.get("Product"),
        "ProductDescription": text,
        "ProductType": data.get("ProductType"),
        "BaseUnit": data.get("BaseUnit"),
        "ProductGroup": data.get("ProductGroup"),
        "Plant": plant.get("Plant"),
        "ProcurementType": plant.get("ProcurementType"),
        "_etag": entity_etag(entity),
        "_last_change": data.get("LastChangeDateTime"),
        "_created_on": data.get("CreationDate"),
        "_marked_for_deletion": bool(data.get("IsMarkedForDeletion")),
        "_plants": [p.get("Plant") for p in plants],
    }


# ---- BOMs ----------------------------------------------------------------------------------------------


def bom_item_to_sap(item: Mapping[str, Any], bom_name: str = "") -> dict[str, Any]:
    """Flat BOM item -> MaterialBOMItem body (quantity as a decimal string)."""
    number = str(item.get("BillOfMaterialItemNumber", "?"))
    _check_fields(item, BOM_ITEM_FIELDS, f"BOM {bom_name} item", number)
    out = {k: encode_value(v) for k, v in _public(item).items()}
    quantity = item.get("BillOfMaterialItemQuantity")
    if quantity is not None and not isinstance(quantity, Decimal | int | str):
        raise ValueError(f"BOM {bom_name} item {number}: BillOfMaterialItemQuantity must be a Decimal")
    return out


def bom_header_to_sap(header: Mapping[str, Any], items: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Flat header + items -> MaterialBOM deep-insert body (to_BillOfMaterialItem)."""
    name = f"{header.get('Material', '?')}/{header.get('Plant', '?')}"
    _check_fields(header, BOM_HEADER_FIELDS, "BOM", name)
    missing = [f for f in ("Material", "Plant") if not header.get(f)]
    if missing:
        raise ValueError(f"BOM {name}: required header field(s) missing: {', '.join(missing)}")
    body = {k: encode_value(v) for k, v in _public(header).items()}
    body.setdefault("BillOfMaterialVariantUsage", "1")
    body["to_BillOfMaterialItem"] = {"results": [bom_item_to_sap(i, name) for i in items]}
    return body


def bom_item_from_sap(entity: Mapping[str, Any]) -> dict[str, Any]:
    """MaterialBOMItem entity -> flat item + `_node`, `_etag`, `_keys`, `_change_number`."""
    data = decode_entity(entity)
    out = {f: data.get(f) for f in BOM_ITEM_FIELDS}
    out["_node"] = data.get("BillOfMaterialItemNodeNumber")
    out["_change_number"] = data.get("EngineeringChangeDocument") or None
    out["_etag"] = entity_etag(entity)
    out["_keys"] = {k: data[k] for k in BOM_ITEM_KEY_FIELDS if k in data}
    return out


def bom_header_from_sap(entity: Mapping[str, Any]) -> dict[str, Any]:
    """MaterialBOM entity -> flat header + "_" extras (items are handled by the caller)."""
    data = decode_entity(entity)
    out = {f: data.get(f) for f in BOM_HEADER_FIELDS}
    status = data.get("BOMVersionStatus", "")
    out.update(
        {
            "_bom_id": data.get("BillOfMaterial"),
            "_variant": data.get("BillOfMaterialVariant"),
            "_version": data.get("BillOfMaterialVersion"),
            "_version_status": status,
            "_is_released": status in RELEASED_STATUSES,
            "_marked_for_deletion": bool(data.get("IsMarkedForDeletion")),
            "_etag": entity_etag(entity),
            "_last_change": data.get("LastChangeDateTime"),
            "_keys": {k: data[k] for k in BOM_KEY_FIELDS if k in data},
        }
    )
    return out


def created_bom_from_sap(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A deep insert's answer: the flat header plus `_items`, its flat items (their node numbers are the ERP's
    own keys of what was written)."""
    items = entity.get("to_BillOfMaterialItem") or {}
    results = items.get("results", []) if isinstance(items, Mapping) else items
    return {**bom_header_from_sap(entity), "_items": [bom_item_from_sap(i) for i in results if isinstance(i, Mapping)]}


# The fields a mapping spec may target, per entity: what this kind writes (a BOM item also carries its
# header's address fields, which locate it).
TARGET_FIELDS: dict[str, tuple[str, ...]] = {
    "material": MATERIAL_FIELDS,
    "bom_header": BOM_HEADER_FIELDS,
    "bom_item": (*BOM_ITEM_FIELDS, "Material", "Plant", "BillOfMaterialVariantUsage"),
}
