"""Target-side (ERP) canonical records. Their payloads are flat dicts keyed by the ERP's own field names
(SAP API_PRODUCT_SRV / API_BILL_OF_MATERIAL_SRV), exactly what the mapping spec produces and the ERP
client sends; these dataclasses are typed views over such payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sync.keys import bom_header_key, bom_item_key, material_key

ENTITIES = ("material", "bom_header", "bom_item")  # in dependency order


@dataclass(frozen=True, slots=True)
class Material:
    entity: ClassVar[str] = "material"
    FIELDS: ClassVar[tuple[str, ...]] = (
        "Product",
        "ProductDescription",
        "ProductType",
        "BaseUnit",
        "ProductGroup",
        "Plant",
        "ProcurementType",
    )
    Product: str
    ProductDescription: str = ""
    ProductType: str = ""
    BaseUnit: str = ""
    ProductGroup: str = ""
    Plant: str = "1000"
    ProcurementType: str = ""

    @property
    def key(self) -> str:
        return material_key(self.Product)


@dataclass(frozen=True, slots=True)
class BomHeader:
    entity: ClassVar[str] = "bom_header"
    FIELDS: ClassVar[tuple[str, ...]] = (
        "Material",
        "Plant",
        "BillOfMaterialVariantUsage",
        "BOMHeaderBaseUnit",
        "BOMHeaderQuantityInBaseUnit",
    )
    Material: str
    Plant: str = "1000"
    BillOfMaterialVariantUsage: str = "1"
    BOMHeaderBaseUnit: str = ""
    BOMHeaderQuantityInBaseUnit: str = "1"  # decimal text

    @property
    def key(self) -> str:
        return bom_header_key(self.Material, self.Plant, self.BillOfMaterialVariantUsage)


@dataclass(frozen=True, slots=True)
class BomItem:
    entity: ClassVar[str] = "bom_item"
    FIELDS: ClassVar[tuple[str, ...]] = (
        "Material",
        "Plant",
        "BillOfMaterialVariantUsage",
        "BillOfMaterialItemNumber",
        "BillOfMaterialComponent",
        "BillOfMaterialItemCategory",
        "BillOfMaterialItemQuantity",
        "BillOfMaterialItemUnit",
        "BOMItemDescription",
        "BOMItemText2",
    )
    Material: str
    BillOfMaterialItemNumber: str
    BillOfMaterialComponent: str
    BillOfMaterialItemQuantity: str  # decimal text, normalised ("0.25")
    BillOfMaterialItemUnit: str
    Plant: str = "1000"
    BillOfMaterialVariantUsage: str = "1"
    BillOfMaterialItemCategory: str = "L"
    BOMItemDescription: str = ""
    BOMItemText2: str = ""

    @property
    def key(self) -> str:
        return bom_item_key(self.Material, self.Plant, self.BillOfMaterialVariantUsage, self.BillOfMaterialItemNumber)


RECORD_TYPES: dict[str, type] = {"material": Material, "bom_header": BomHeader, "bom_item": BomItem}


def from_payload(entity: str, payload: dict[str, Any]) -> Material | BomHeader | BomItem:
    """The typed record of a target payload; fields the record does not know are ignored."""
    record_type = RECORD_TYPES[entity]
    return record_type(**{k: v for k, v in payload.items() if k in record_type.FIELDS})


def to_payload(record: Material | BomHeader | BomItem) -> dict[str, Any]:
    """The flat ERP payload of a typed record."""
    return {name: getattr(record, name) for name in record.FIELDS}
