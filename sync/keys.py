"""Canonical string keys of target records, shared by the engine, the ERP client and the state store.

material   "PRT-1"                 (Product)
bom_header "ASM-1|1000|1"          (Material | Plant | BillOfMaterialVariantUsage)
bom_item   "ASM-1|1000|1|0010"     (header key | BillOfMaterialItemNumber)

A BOM item is identified by its BOM and its item number (the PLM find number, zero-padded). When a
line's find number changes but its component stays, the plan treats it as a renumber of the same
line (see `sync.bom_tree.match_lines`), so the item keeps its ERP node id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SEP = "|"

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "material": ("Product",),
    "bom_header": ("Material", "Plant", "BillOfMaterialVariantUsage"),
    "bom_item": ("Material", "Plant", "BillOfMaterialVariantUsage", "BillOfMaterialItemNumber"),
}


class BadKeyError(ValueError):
    """A key part is empty or contains the separator."""


def _join(parts: tuple[Any, ...] | list[Any]) -> str:
    texts = []
    for part in parts:
        text = "" if part is None else str(part)
        if not text or SEP in text:
            raise BadKeyError(f"key part {text!r} must be non-empty and must not contain {SEP!r}")
        texts.append(text)
    return SEP.join(texts)


def material_key(product: str) -> str:
    """Key of an ERP material: its product number."""
    return _join([product])


def bom_header_key(material: str, plant: str, usage: str = "1") -> str:
    """Key of an ERP BOM header: material | plant | variant usage."""
    return _join([material, plant, usage])


def bom_item_key(material: str, plant: str, usage: str, item_number: str) -> str:
    """Key of an ERP BOM item: its header key | item number ("0010")."""
    return _join([material, plant, usage, item_number])


def item_number(find_number: int, width: int = 4) -> str:
    """The ERP item number of a PLM find number: 10 -> "0010"."""
    return f"{int(find_number):0{width}d}"


def key_of(entity: str, payload: Mapping[str, Any]) -> str:
    """Build the canonical key of a target payload from its key fields."""
    try:
        fields = KEY_FIELDS[entity]
    except KeyError:
        raise BadKeyError(f"no key rule for entity {entity!r}") from None
    return _join([payload.get(name) for name in fields])


def split_key(key: str) -> list[str]:
    """The parts of a canonical key."""
    return key.split(SEP)


def header_key_of_item(item_key: str) -> str:
    """The BOM header key an item key belongs to."""
    return item_key.rsplit(SEP, 1)[0]
