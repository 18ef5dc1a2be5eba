"""Suite `erp_pre_apply`: will the ERP accept the mapped plan as it is?

Runs on the plan tables (`erp_material_plan`, `erp_bom_plan`) before anything is written: required SAP
fields present, lengths within SAP's limits (material 40, description 40, unit 3), quantities within the
BOM item's precision (13,3). Records that failed to map or wait on a person are warnings: they go to the
dead letters / conflicts, the rest of the plan is still sound.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from expectations.erp_frames import plan_ops, plan_writes
from expectations.gx_runtime import TableValidation, validate_table
from expectations.quantity_rounding import rounding_expectations
from expectations.settings import CRITICAL, WARNING, ValidationSettings

SUITE = "erp_pre_apply"
KEYS = ("key", "op")
PRODUCT_TYPES = ["FERT", "HALB", "ROH", "HAWA", "HIBE", "VERP", "NLAG", "DIEN", "UNBW", "ERSA"]
PROCUREMENT_TYPES = ["E", "F", "X"]
ITEM_CATEGORIES = ["L", "N", "T"]
APPLICABLE_OPS = ["create", "update", "delete", "unchanged"]


def quantity_regex(decimals: int) -> str:
    """Positive decimals SAP's DEC(13, decimals) field holds."""
    return rf"^\d{{1,{13 - decimals}}}(?:\.\d{{1,{decimals}}})?$"


def _required(gxe, columns: list[str]) -> list:
    return [
        gxe.ExpectColumnValuesToNotBeNull(column=c, severity=CRITICAL, description=f"{c} is present") for c in columns
    ]


def _max_length(gxe, column: str, limit: int, severity: str = CRITICAL):
    return gxe.ExpectColumnValueLengthsToBeBetween(
        column=column, max_value=limit, severity=severity, description=f"{column} fits the ERP's {limit} characters"
    )


def material_expectations(s: ValidationSettings) -> list:
    import great_expectations.expectations as gxe

    return [
        *_required(gxe, ["Product", "ProductType", "BaseUnit", "Plant", "ProcurementType"]),
        _max_length(gxe, "Product", s.material_number_length),
        _max_length(gxe, "ProductDescription", s.description_length),
        _max_length(gxe, "BaseUnit", s.unit_length),
        gxe.ExpectColumnValuesToBeInSet(
            column="ProductType",
            value_set=PRODUCT_TYPES,
            severity=CRITICAL,
            description="ProductType is a material type the ERP knows",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="ProcurementType",
            value_set=PROCUREMENT_TYPES,
            severity=CRITICAL,
            description="ProcurementType is E, F or X",
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="ProductDescription", severity=WARNING, description="materials carry a description"
        ),
    ]


def header_expectations(s: ValidationSettings) -> list:
    import great_expectations.expectations as gxe

    return [
        *_required(
            gxe, ["Material", "Plant", "BillOfMaterialVariantUsage", "BOMHeaderBaseUnit", "BOMHeaderQuantityInBaseUnit"]
        ),
        _max_length(gxe, "Material", s.material_number_length),
        _max_length(gxe, "BOMHeaderBaseUnit", s.unit_length),
        gxe.ExpectColumnValuesToMatchRegex(
            column="BillOfMaterialVariantUsage",
            regex=r"^[1-9]$",
            severity=CRITICAL,
            description="BOM usage is one digit 1-9",
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="BOMHeaderQuantityInBaseUnit_text",
            regex=quantity_regex(s.quantity_decimals),
            severity=CRITICAL,
            description=f"base quantity > 0 with at most {s.quantity_decimals} decimals",
        ),
    ]


def item_expectations(s: ValidationSettings) -> list:
    import great_expectations.expectations as gxe

    return [
        *_required(
            gxe,
            [
                "Material",
                "BillOfMaterialItemNumber",
                "BillOfMaterialComponent",
                "BillOfMaterialItemCategory",
                "BillOfMaterialItemQuantity",
                "BillOfMaterialItemUnit",
            ],
        ),
        _max_length(gxe, "BillOfMaterialComponent", s.material_number_length),
        _max_length(gxe, "BillOfMaterialItemUnit", s.unit_length),
        _max_length(gxe, "BOMItemDescription", s.description_length),
        _max_length(gxe, "BOMItemText2", s.description_length),
        gxe.ExpectColumnValuesToMatchRegex(
            column="BillOfMaterialItemNumber",
            regex=r"^(?!0000)\d{4}$",
            severity=CRITICAL,
            description="item numbers are 0001-9999",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="BillOfMaterialItemCategory",
            value_set=ITEM_CATEGORIES,
            severity=CRITICAL,
            description="item category L, N or T",
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="BillOfMaterialItemQuantity",
            min_value=0,
            strict_min=True,
            severity=CRITICAL,
            description=f"item quantities are greater than zero at the ERP's {s.quantity_decimals} decimals (a PLM "
            f"quantity below {Decimal(5).scaleb(-s.quantity_decimals - 1)} rounds to 0)",
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="BillOfMaterialItemQuantity_text",
            regex=quantity_regex(s.quantity_decimals),
            severity=CRITICAL,
            description=f"item quantities fit DEC(13,{s.quantity_decimals})",
        ),
    ]


def ops_expectations() -> list:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeInSet(
            column="op",
            value_set=APPLICABLE_OPS,
            severity=WARNING,
            description="records that failed to map (op error) or wait on a person (op conflict) are not written",
        )
    ]


def validate_material_plan(plan: pd.DataFrame, settings: ValidationSettings | None = None) -> list[TableValidation]:
    """The material plan's writes, and its rows that will not be written."""
    s = settings or ValidationSettings()
    return [
        validate_table(SUITE, "material_writes", plan_writes(plan, "material"), lambda: material_expectations(s), KEYS),
        validate_table(SUITE, "material_plan", plan_ops(plan), ops_expectations, ("entity", "key")),
    ]


def validate_bom_plan(
    plan: pd.DataFrame, settings: ValidationSettings | None = None, rounding: pd.DataFrame | None = None
) -> list[TableValidation]:
    """The BOM plan's header and item writes, and its rows that will not be written; with `rounding`
    (`quantity_rounding.rounding_frame`), a warning for each quantity the ERP's precision changes."""
    s = settings or ValidationSettings()
    validations = [
        validate_table(
            SUITE, "bom_header_writes", plan_writes(plan, "bom_header"), lambda: header_expectations(s), KEYS
        ),
        validate_table(SUITE, "bom_item_writes", plan_writes(plan, "bom_item"), lambda: item_expectations(s), KEYS),
        validate_table(SUITE, "bom_plan", plan_ops(plan), ops_expectations, ("entity", "key")),
    ]
    if rounding is not None:
        validations.append(
            validate_table(
                SUITE,
                "bom_item_quantity_rounding",
                rounding,
                lambda: rounding_expectations(s.quantity_decimals),
                ("key",),
            )
        )
    return validations
