"""Suite `plm_bom_pre_sync`: is the extracted PLM BOM fit to be written to the ERP?

Runs on the extract tables (`plm_parts`, `plm_bom_lines`) before anything is planned. Critical
expectations block the sync; warnings (e.g. a description the ERP will truncate) are reported only.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from expectations.gx_runtime import TableValidation, validate_table
from expectations.settings import CRITICAL, WARNING, ValidationSettings

SUITE = "plm_bom_pre_sync"
PART_KEYS = ("number",)
LINE_KEYS = ("parent_number", "find_number", "component_number")
MAKE_BUY = ("MAKE", "BUY")
RELEASED_PHASES = ("Production",)
MAX_FIND_NUMBER = 9999  # the ERP's item number has 4 digits


def _part_expectations(units: list[str], s: ValidationSettings):
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(
            column="number", severity=CRITICAL, description="every part has a part number"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="number",
            regex=s.part_number_pattern,
            severity=CRITICAL,
            description="part numbers follow the configured pattern",
        ),
        gxe.ExpectColumnValuesToBeUnique(
            column="number", severity=CRITICAL, description="each part appears once in the extract"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="revision",
            regex=s.revision_pattern,
            severity=CRITICAL,
            description="revisions follow the configured revision scheme",
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="name", severity=CRITICAL, description="descriptions present"),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="name", min_value=1, severity=CRITICAL, description="descriptions are not empty"
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="uom", value_set=units, severity=CRITICAL, description="units are in the mapping spec's unit table"
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="make_buy",
            value_set=list(MAKE_BUY),
            severity=CRITICAL,
            description="make/buy is MAKE or BUY (it decides the procurement type)",
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="name",
            max_value=s.description_length,
            severity=WARNING,
            description=f"descriptions fit the ERP's {s.description_length} characters (longer ones are truncated)",
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="category", severity=WARNING, description="a category (it decides the material type and group)"
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="lifecycle_phase",
            value_set=list(RELEASED_PHASES),
            severity=WARNING,
            description="parts in a released BOM are in production",
        ),
    ]


def _line_expectations(units: list[str], part_numbers: list[str], s: ValidationSettings):
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToMatchRegex(
            column="parent_number",
            regex=s.part_number_pattern,
            severity=CRITICAL,
            description="parent part numbers follow the configured pattern",
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="component_number", severity=CRITICAL, description="every line names its component"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="component_number",
            regex=s.part_number_pattern,
            severity=CRITICAL,
            description="component part numbers follow the configured pattern",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="component_number",
            value_set=part_numbers,
            severity=CRITICAL,
            description="every component is a part of the extract",
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["parent_number", "find_number"],
            severity=CRITICAL,
            description="find numbers are unique per parent",
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="find_number", severity=CRITICAL, description="every line has a find number"
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="find_number",
            min_value=1,
            max_value=MAX_FIND_NUMBER,
            severity=CRITICAL,
            description=f"find numbers are 1..{MAX_FIND_NUMBER} (ERP item numbers)",
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="quantity", severity=CRITICAL, description="every line has a quantity"
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="quantity",
            min_value=0,
            strict_min=True,
            severity=CRITICAL,
            description="quantities are greater than zero",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="uom",
            value_set=units,
            severity=CRITICAL,
            description="line units are in the mapping spec's unit table",
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="component_revision",
            regex=s.revision_pattern,
            severity=CRITICAL,
            description="component revisions follow the configured revision scheme",
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="notes",
            max_value=s.description_length,
            severity=WARNING,
            description="line notes fit the ERP item text (longer ones are truncated)",
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="ref_des",
            max_value=s.description_length,
            severity=WARNING,
            description="reference designators fit the ERP item text 2",
        ),
    ]


def _columns(frame: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """Only the validated columns (list-valued ones such as `path` are no business of the suite)."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(f"{SUITE}: the extract table lacks column(s) {', '.join(missing)}")
    return frame[list(names)].astype(object)


def validate_parts(
    parts: pd.DataFrame, units: Iterable[str], settings: ValidationSettings | None = None
) -> TableValidation:
    """The parts table (`plm_parts`) against the suite; `units` are the mapping spec's PLM units."""
    s = settings or ValidationSettings()
    frame = _columns(parts, ("number", "name", "revision", "uom", "category", "make_buy", "lifecycle_phase"))
    return validate_table(SUITE, "plm_parts", frame, lambda: _part_expectations(sorted(units), s), PART_KEYS)


def validate_bom_lines(
    lines: pd.DataFrame, parts: pd.DataFrame, units: Iterable[str], settings: ValidationSettings | None = None
) -> TableValidation:
    """The BOM lines table (`plm_bom_lines`) against the suite; components must be among `parts`."""
    s = settings or ValidationSettings()
    frame = _columns(
        lines,
        (
            "parent_number",
            "find_number",
            "component_number",
            "component_revision",
            "quantity",
            "uom",
            "notes",
            "ref_des",
        ),
    )
    numbers = sorted(str(n) for n in parts["number"].dropna())
    return validate_table(
        SUITE, "plm_bom_lines", frame, lambda: _line_expectations(sorted(units), numbers, s), LINE_KEYS
    )
