"""The checks S/4HANA applies to BOM headers and items, with its message codes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sandbox.erp.errors import (
    BAD_ITEM_NUMBER,
    FIELD_INVALID,
    NOT_IN_PLANT,
    UNKNOWN_MATERIAL,
    UNKNOWN_PLANT,
    UNKNOWN_UNIT,
    VERSION_RELEASED,
    ODataError,
    bad_request,
)

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

RELEASED, SUPERSEDED = "20", "30"
ITEM_CATEGORIES = {"L", "N", "T"}  # stock, non-stock, text


def material_in_plant(system: ERPSystem, material: str, plant: str, field: str, where: str) -> dict[str, Any]:
    product = system.store.get("A_Product", material)
    if product is None:
        raise ODataError(
            400,
            UNKNOWN_MATERIAL,
            f"The material {material} does not exist or is not activated ({where}, {field})",
            target=field,
        )
    if system.store.get("A_ProductPlant", f"{material}\x1f{plant}") is None:
        raise ODataError(
            400, NOT_IN_PLANT, f"Material {material} is not maintained in plant {plant} ({where})", target=field
        )
    return product


def check_unit(system: ERPSystem, unit: str, field: str, where: str) -> None:
    if not system.unit_known(unit):
        raise ODataError(
            400, UNKNOWN_UNIT, f"Unit of measure {unit or '(empty)'} is not defined ({where})", target=field
        )


def validate_header(system: ERPSystem, doc: dict[str, Any]) -> None:
    where = f"BOM of material {doc['Material']}"
    if not doc["Material"]:
        raise bad_request("Property 'Material' is required for MaterialBOM", target="Material", code=FIELD_INVALID)
    if not system.plant_known(doc["Plant"]):
        raise ODataError(400, UNKNOWN_PLANT, f"Plant '{doc['Plant']}' does not exist ({where})", target="Plant")
    if doc["BillOfMaterialCategory"] != "M":
        raise bad_request(
            f"BOM category '{doc['BillOfMaterialCategory']}' is not supported; use 'M'",
            target="BillOfMaterialCategory",
            code=FIELD_INVALID,
        )
    if not re.fullmatch(r"[1-9]", doc["BillOfMaterialVariantUsage"]):
        raise bad_request(
            f"BOM usage '{doc['BillOfMaterialVariantUsage']}' is not defined ({where})",
            target="BillOfMaterialVariantUsage",
            code=FIELD_INVALID,
        )
    product = material_in_plant(system, doc["Material"], doc["Plant"], "Material", where)
    doc["BOMHeaderBaseUnit"] = doc["BOMHeaderBaseUnit"] or product["BaseUnit"]
    check_unit(system, doc["BOMHeaderBaseUnit"], "BOMHeaderBaseUnit", where)
    if float(doc["BOMHeaderQuantityInBaseUnit"]) <= 0:
        raise bad_request(
            f"Base quantity must be greater than zero ({where})",
            target="BOMHeaderQuantityInBaseUnit",
            code=FIELD_INVALID,
        )


def validate_item(system: ERPSystem, header: dict[str, Any], item: dict[str, Any]) -> None:
    where = f"BOM of material {header['Material']}, item {item['BillOfMaterialItemNumber'] or '(new)'}"
    number = item["BillOfMaterialItemNumber"]
    if not re.fullmatch(r"\d{1,4}", number) or int(number) == 0:
        raise ODataError(
            400,
            BAD_ITEM_NUMBER,
            f"Item number '{number}' is invalid: 0001-9999 expected ({where})",
            target="BillOfMaterialItemNumber",
        )
    item["BillOfMaterialItemNumber"] = number.zfill(4)
    if item["BillOfMaterialItemCategory"] not in ITEM_CATEGORIES:
        raise bad_request(
            f"Item category '{item['BillOfMaterialItemCategory']}' is not allowed ({where})",
            target="BillOfMaterialItemCategory",
            code=FIELD_INVALID,
        )
    if item["BillOfMaterialItemCategory"] == "T":
        return
    component = item["BillOfMaterialComponent"]
    if component == header["Material"]:
        raise bad_request(
            f"Material {component} cannot be a component of its own BOM ({where})",
            target="BillOfMaterialComponent",
            code=FIELD_INVALID,
        )
    product = material_in_plant(system, component, header["Plant"], "BillOfMaterialComponent", where)
    item["BillOfMaterialItemUnit"] = item["BillOfMaterialItemUnit"] or product["BaseUnit"]
    check_unit(system, item["BillOfMaterialItemUnit"], "BillOfMaterialItemUnit", where)
    if float(item["BillOfMaterialItemQuantity"]) <= 0:
        raise bad_request(
            f"Quantity must be greater than zero ({where})", target="BillOfMaterialItemQuantity", code=FIELD_INVALID
        )
    desc = system.store.get("A_ProductDescription", f"{component}\x1fEN")
    item["ComponentDescription"] = desc["ProductDescription"] if desc else ""


def editable(header: dict[str, Any], change_number: str | None = None) -> None:
    """Drafts are open to edits. A released version takes item edits only under a change number (SAP's
    engineering change management: the change is recorded on the item); a superseded one takes none."""
    if header["BOMVersionStatus"] == RELEASED and change_number:
        return
    if header["BOMVersionStatus"] in (RELEASED, SUPERSEDED):
        raise ODataError(
            400,
            VERSION_RELEASED,
            f"Version {header['BillOfMaterialVersion']} of the BOM of material "
            f"{header['Material']} is released and cannot be changed; create a new version or give an "
            "EngineeringChangeDocument",
        )
