"""What the suites expect of the data: number and revision schemes, the ERP's limits.

The assets fill the schemes from the `validation_rules` resource; nothing here reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

CRITICAL, WARNING = "critical", "warning"


@dataclass(frozen=True)
class ValidationSettings:
    """Patterns and limits the suites check against; defaults fit the demo catalog and SAP S/4HANA."""

    part_number_pattern: str = r"^[A-Z]{2,4}-\d{4,8}$"  # e.g. PRT-000123, ASM-10001
    revision_pattern: str = r"^[A-Z]{1,2}$"  # letter revisions A..ZZ
    material_number_length: int = 40  # SAP MATNR (40 with extended material numbers)
    description_length: int = 40  # SAP MAKTX
    unit_length: int = 3  # SAP MEINS
    quantity_decimals: int = 3  # SAP BOM item quantity scale
    sample_rows: int = 20  # offending rows shown per failed expectation
