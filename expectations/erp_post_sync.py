"""Suite `erp_post_sync`: does what the ERP holds after the apply make a sound, usable BOM?

Runs on a fresh read of the ERP (the records the mapped PLM data says must exist): every material
present, not flagged for deletion, in a unit the spec maps to; every BOM released, its items unique,
positive, in a known unit, with components that exist. The apply assets' own `*_match_plan` checks
compare field by field with the plan; this suite checks the ERP data on its own terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from expectations.erp_frames import payload_frame
from expectations.erp_pre_apply import quantity_regex
from expectations.gx_runtime import TableValidation, validate_table
from expectations.settings import CRITICAL, WARNING, ValidationSettings

SUITE = "erp_post_sync"
KEYS = ("key",)
Records = Mapping[str, Mapping[str, Any]]


def material_frame(expected_keys: Iterable[str], actual: Records) -> pd.DataFrame:
    """One row per expected material: the ERP's fields, or nulls when the ERP lacks it."""
    rows = [{"key": key, "payload": actual.get(key.upper()) or {}} for key in sorted(expected_keys)]
    frame = payload_frame("material", rows)
    frame["marked_for_deletion"] = [
        bool((actual.get(k.upper()) or {}).get("_marked_for_deletion")) for k in frame["key"]
    ]
    return frame.astype(object)


def header_frame(expected_keys: Iterable[str], actual: Records) -> pd.DataFrame:
    """One row per expected BOM: the released version's header, or nulls when none is released."""
    rows = [{"key": key, "payload": actual.get(key) or {}} for key in sorted(expected_keys)]
    frame = payload_frame("bom_header", rows)
    frame["released"] = [bool((actual.get(k) or {}).get("_is_released")) for k in frame["key"]]
    return frame.astype(object)


def item_frame(actual: Records) -> pd.DataFrame:
    """Every item of the released BOMs read back."""
    return payload_frame("bom_item", [{"key": key, "payload": item} for key, item in sorted(actual.items())])


def _material_expectations(erp_units: list[str], s: ValidationSettings) -> list:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(
            column="Product", severity=CRITICAL, description="every material of the BOM exists in the ERP"
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="marked_for_deletion",
            value_set=[False],
            severity=CRITICAL,
            description="no material of a released BOM is flagged for deletion",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="BaseUnit",
            value_set=erp_units,
            severity=CRITICAL,
            description="base units are units the mapping spec maps to",
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="Plant", severity=CRITICAL, description="materials have plant data (BOMs need it)"
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="ProductDescription", severity=WARNING, description="materials carry a description"
        ),
    ]


def _header_expectations() -> list:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeInSet(
            column="released",
            value_set=[True],
            severity=CRITICAL,
            description="every BOM of the assembly has a released version",
        )
    ]


def _item_expectations(erp_units: list[str], materials: list[str], s: ValidationSettings) -> list:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["Material", "BillOfMaterialItemNumber"],
            severity=CRITICAL,
            description="item numbers are unique per BOM",
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="BillOfMaterialItemQuantity",
            min_value=0,
            strict_min=True,
            severity=CRITICAL,
            description="item quantities are greater than zero",
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="BillOfMaterialItemQuantity_text",
            regex=quantity_regex(s.quantity_decimals),
            severity=CRITICAL,
            description=f"item quantities have at most {s.quantity_decimals} decimals",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="BillOfMaterialItemUnit",
            value_set=erp_units,
            severity=CRITICAL,
            description="item units are units the mapping spec maps to",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="BillOfMaterialComponent",
            value_set=materials,
            severity=CRITICAL,
            description="every component is a material the ERP holds",
        ),
    ]


def validate_materials(
    expected_keys: Iterable[str], actual: Records, erp_units: Iterable[str], settings: ValidationSettings | None = None
) -> list[TableValidation]:
    """Materials read back from the ERP (`actual`, by Product) for the expected material keys."""
    s = settings or ValidationSettings()
    frame = material_frame(expected_keys, actual)
    return [validate_table(SUITE, "erp_materials", frame, lambda: _material_expectations(sorted(erp_units), s), KEYS)]


def validate_boms(
    expected_headers: Iterable[str],
    snapshot: Mapping[str, Records],
    materials: Iterable[str],
    erp_units: Iterable[str],
    settings: ValidationSettings | None = None,
) -> list[TableValidation]:
    """Released BOMs read back (`snapshot` as `assets.erp_plans.read_bom_snapshot` returns it)."""
    s = settings or ValidationSettings()
    known = sorted({m.upper() for m in materials})
    return [
        validate_table(
            SUITE,
            "erp_bom_headers",
            header_frame(expected_headers, snapshot.get("bom_header", {})),
            _header_expectations,
            KEYS,
        ),
        validate_table(
            SUITE,
            "erp_bom_items",
            item_frame(snapshot.get("bom_item", {})),
            lambda: _item_expectations(sorted(erp_units), known, s),
            KEYS,
        ),
    ]
