"""The BOM documents of API_BILL_OF_MATERIAL_SRV: MaterialBOM headers and MaterialBOMItem items, and what
creating, filling and releasing them does.

A BOM without BillOfMaterialVersion is a classical BOM, effective on creation. A BOM with a version is
created "In Process" (BOMVersionStatus '10'), filled, then released ('20') by ReleaseVersionBOM; releasing
supersedes ('30') the previously released version of the same material/plant/usage/alternative.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sandbox.erp import bom_rules
from sandbox.erp.edm import EntityType, Prop, midnight_ms
from sandbox.erp.entities import apply_payload, nav_list
from sandbox.erp.errors import BOM_EXISTS, DUPLICATE_ITEM, VERSION_NOT_RELEASABLE, ODataError

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

NS = "API_BILL_OF_MATERIAL_SRV"
IN_PROCESS = "10"
RELEASED, SUPERSEDED = bom_rules.RELEASED, bom_rules.SUPERSEDED
FAR_FUTURE_MS = 253402214400000  # 9999-12-31, SAP's open end date

BOM = EntityType(
    NS,
    "MaterialBOMType",
    "MaterialBOM",
    (
        "BillOfMaterial",
        "BillOfMaterialCategory",
        "BillOfMaterialVariant",
        "BillOfMaterialVersion",
        "EngineeringChangeDocument",
        "Material",
        "Plant",
    ),
    (
        Prop("BillOfMaterial", max_len=8, read_only=True),
        Prop("BillOfMaterialCategory", max_len=1, default="M"),
        Prop("BillOfMaterialVariant", max_len=2, default="1"),
        Prop("BillOfMaterialVersion", max_len=4),
        Prop("EngineeringChangeDocument", max_len=12),
        Prop("Material", max_len=40),
        Prop("Plant", max_len=4),
        Prop("BillOfMaterialHeaderUUID", "Edm.Guid", read_only=True),
        Prop("BillOfMaterialVariantUsage", max_len=1, default="1"),
        Prop("BOMHeaderBaseUnit", max_len=3),
        Prop("BOMHeaderQuantityInBaseUnit", "Edm.Decimal", scale=3, default="1.000"),
        Prop("HeaderValidityStartDate", "Edm.DateTime", default=None),
        Prop("HeaderValidityEndDate", "Edm.DateTime", default=FAR_FUTURE_MS),
        Prop("BillOfMaterialStatus", max_len=2, default="01"),
        Prop("IsVersionBillOfMaterial", "Edm.Boolean", default=False, read_only=True),
        Prop("BOMVersionStatus", max_len=2, read_only=True),
        Prop("IsLatestBOMVersion", "Edm.Boolean", default=False, read_only=True),
        Prop("BOMHeaderText", max_len=40),
        Prop("BOMAlternativeText", max_len=40),
        Prop("IsMarkedForDeletion", "Edm.Boolean", default=False),
        Prop("RecordCreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("CreatedByUser", max_len=12, read_only=True),
        Prop("LastChangeDate", "Edm.DateTime", default=None, read_only=True),
        Prop("LastChangedByUser", max_len=12, read_only=True),
        Prop("LastChangeDateTime", "Edm.DateTimeOffset", default=None, read_only=True),
    ),
    navs=("to_BillOfMaterialItem",),
)

ITEM = EntityType(
    NS,
    "MaterialBOMItemType",
    "MaterialBOMItem",
    (
        "BillOfMaterial",
        "BillOfMaterialCategory",
        "BillOfMaterialVariant",
        "BillOfMaterialVersion",
        "BillOfMaterialItemNodeNumber",
        "HeaderChangeDocument",
        "Material",
        "Plant",
    ),
    (
        Prop("BillOfMaterial", max_len=8),
        Prop("BillOfMaterialCategory", max_len=1, default="M"),
        Prop("BillOfMaterialVariant", max_len=2, default="1"),
        Prop("BillOfMaterialVersion", max_len=4),
        Prop("BillOfMaterialItemNodeNumber", max_len=8, read_only=True),
        Prop("HeaderChangeDocument", max_len=12),
        Prop("Material", max_len=40),
        Prop("Plant", max_len=4),
        Prop("ValidityStartDate", "Edm.DateTime", default=None),
        Prop("ValidityEndDate", "Edm.DateTime", default=FAR_FUTURE_MS),
        Prop("EngineeringChangeDocument", max_len=12),
        Prop("BillOfMaterialComponent", max_len=40),
        Prop("ComponentDescription", max_len=40, read_only=True),
        Prop("BillOfMaterialItemCategory", max_len=1, default="L"),
        Prop("BillOfMaterialItemNumber", max_len=4),
        Prop("BillOfMaterialItemUnit", max_len=3),
        Prop("BillOfMaterialItemQuantity", "Edm.Decimal", scale=3, default="0.000"),
        Prop("ComponentScrapInPercent", "Edm.Decimal", scale=2, default="0.00"),
        Prop("BOMItemDescription", max_len=40),
        Prop("BOMItemText2", max_len=40),
        Prop("BOMItemSorter", max_len=10),
        Prop("IsProductionRelevant", "Edm.Boolean", default=True),
        Prop("BOMItemIsSparePart", max_len=1),
        Prop("BOMItemRecordCreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("BOMItemCreatedByUser", max_len=12, read_only=True),
        Prop("BOMItemLastChangeDate", "Edm.DateTime", default=None, read_only=True),
        Prop("BOMItemLastChangedByUser", max_len=12, read_only=True),
    ),
)
HEADER_KEYS_ON_ITEM = (
    "BillOfMaterial",
    "BillOfMaterialCategory",
    "BillOfMaterialVariant",
    "BillOfMaterialVersion",
    "Material",
    "Plant",
)


def _bom_number(system: ERPSystem, doc: dict[str, Any]) -> str:
    """One BOM number per material/plant/usage (SAP's material-to-BOM link), shared by alternatives and versions."""
    for other in system.store.children(BOM.set_name, doc["Material"]):
        if (other["Material"], other["Plant"], other["BillOfMaterialVariantUsage"]) == (
            doc["Material"],
            doc["Plant"],
            doc["BillOfMaterialVariantUsage"],
        ):
            return other["BillOfMaterial"]
    return f"{system.store.next_number('bom'):08d}"


def _same_slot(a: dict[str, Any], b: dict[str, Any]) -> bool:
    fields = ("Material", "Plant", "BillOfMaterialVariantUsage", "BillOfMaterialVariant")
    return all(a[f] == b[f] for f in fields)


def create_bom(system: ERPSystem, payload: dict[str, Any], user: str) -> tuple[dict[str, Any], int]:
    doc = apply_payload(BOM, BOM.defaults(), payload, creating=True)
    bom_rules.validate_header(system, doc)
    for other in system.store.children(BOM.set_name, doc["Material"]):
        if _same_slot(other, doc) and other["BillOfMaterialVersion"] == doc["BillOfMaterialVersion"]:
            what = f"version {doc['BillOfMaterialVersion']}" if doc["BillOfMaterialVersion"] else "a BOM"
            raise ODataError(
                400,
                BOM_EXISTS,
                f"Material {doc['Material']} already has {what} in plant "
                f"{doc['Plant']} (usage {doc['BillOfMaterialVariantUsage']}, alternative "
                f"{doc['BillOfMaterialVariant']})",
            )
    versioned = bool(doc["BillOfMaterialVersion"])
    us = system.now()
    doc.update(
        BillOfMaterial=_bom_number(system, doc),
        BillOfMaterialHeaderUUID=str(uuid.uuid4()),
        IsVersionBillOfMaterial=versioned,
        BOMVersionStatus=IN_PROCESS if versioned else "",
        IsLatestBOMVersion=versioned,
        RecordCreationDate=midnight_ms(us),
        CreatedByUser=user[:12],
        HeaderValidityStartDate=doc["HeaderValidityStartDate"] or midnight_ms(us),
    )
    touch(system, doc, user)
    if versioned:
        for other in system.store.children(BOM.set_name, doc["Material"]):
            if _same_slot(other, doc) and other.get("IsLatestBOMVersion"):
                other["IsLatestBOMVersion"] = False
                store_header(system, other)
    store_header(system, doc)
    writes, existing = 1, []
    for payload_item in nav_list(payload, "to_BillOfMaterialItem"):
        existing.append(add_item(system, doc, payload_item, user, existing=existing, save_header=False))
        writes += 1
    if existing:
        touch(system, doc, user)
        store_header(system, doc)
    return doc, writes


def store_header(system: ERPSystem, header: dict[str, Any]) -> None:
    """Headers are filed under their material (the `parent` index) so a material's BOMs are one lookup."""
    system.store.put(BOM.set_name, BOM.key_of(header), header, parent=header["Material"])


def touch(system: ERPSystem, doc: dict[str, Any], user: str) -> None:
    """Stamp a header's last change (date, time, user) and its version tag for If-Match."""
    us = system.now()
    doc.update(LastChangeDateTime=us, LastChangeDate=midnight_ms(us), LastChangedByUser=user[:12], __ts=us)


def add_item(
    system: ERPSystem,
    header: dict[str, Any],
    payload: dict[str, Any],
    user: str,
    *,
    existing: list[dict[str, Any]] | None = None,
    save_header: bool = True,
) -> dict[str, Any]:
    """Validate and store one item; a deep insert passes the items so far and saves the header once."""
    bom_rules.editable(header, payload.get("EngineeringChangeDocument"))
    hkey = BOM.key_of(header)
    existing = system.store.children(ITEM.set_name, hkey) if existing is None else existing
    base = {
        **ITEM.defaults(),
        **{k: header[k] for k in HEADER_KEYS_ON_ITEM},
        "HeaderChangeDocument": header["EngineeringChangeDocument"],
    }
    item = apply_payload(ITEM, base, {k: v for k, v in payload.items() if k not in HEADER_KEYS_ON_ITEM}, creating=True)
    if not item["BillOfMaterialItemNumber"]:  # SAP proposes the next multiple of 10
        top = max((int(i["BillOfMaterialItemNumber"]) for i in existing), default=0)
        item["BillOfMaterialItemNumber"] = f"{(top // 10 + 1) * 10:04d}"
    bom_rules.validate_item(system, header, item)
    if any(i["BillOfMaterialItemNumber"] == item["BillOfMaterialItemNumber"] for i in existing):
        raise ODataError(
            400,
            DUPLICATE_ITEM,
            f"Item number {item['BillOfMaterialItemNumber']} already exists in "
            f"the BOM of material {header['Material']}",
            target="BillOfMaterialItemNumber",
        )
    us = system.now()
    item.update(
        BillOfMaterialItemNodeNumber=str(system.store.next_number(f"node:{hkey}")),
        BOMItemRecordCreationDate=midnight_ms(us),
        BOMItemCreatedByUser=user[:12],
        BOMItemLastChangeDate=midnight_ms(us),
        BOMItemLastChangedByUser=user[:12],
        ValidityStartDate=item["ValidityStartDate"] or header["HeaderValidityStartDate"],
    )
    system.store.put(ITEM.set_name, ITEM.key_of(item), item, parent=hkey)
    if save_header:
        touch(system, header, user)
        store_header(system, header)
    return item


def release_version(system: ERPSystem, header: dict[str, Any], user: str) -> dict[str, Any]:
    where = f"version {header['BillOfMaterialVersion']} of the BOM of material {header['Material']}"
    if not header["IsVersionBillOfMaterial"]:
        raise ODataError(400, VERSION_NOT_RELEASABLE, f"The BOM of material {header['Material']} has no versions")
    if header["BOMVersionStatus"] != IN_PROCESS:
        raise ODataError(400, VERSION_NOT_RELEASABLE, f"{where} is not in process and cannot be released")
    if not system.store.children(ITEM.set_name, BOM.key_of(header)):
        raise ODataError(400, VERSION_NOT_RELEASABLE, f"{where} has no items and cannot be released")
    for other in system.store.children(BOM.set_name, header["Material"]):
        if _same_slot(other, header) and other["BOMVersionStatus"] == RELEASED:
            other["BOMVersionStatus"] = SUPERSEDED
            touch(system, other, user)
            store_header(system, other)
    header["BOMVersionStatus"] = RELEASED
    touch(system, header, user)
    store_header(system, header)
    return header
