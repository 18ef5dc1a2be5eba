"""`ValidationRulesResource`: what the data checks accept, set at the wiring site, read by assets as fields.

Number and revision schemes of the PLM, the deepest BOM the structural check accepts, how many offending
rows a failed expectation shows, and the severity of a failed reconciliation.
"""

from __future__ import annotations

import re

import dagster as dg
from pydantic import Field

SEVERITIES = ("ERROR", "WARN")


class ValidationRulesResource(dg.ConfigurableResource):
    """Defaults fit the demo catalog; a plant with other numbering sets them (MFG_SYNC_* at the wiring site)."""

    part_number_pattern: str = Field(default=r"^[A-Z]{2,4}-\d{4,8}$", description="e.g. PRT-000123, ASM-10001.")
    revision_pattern: str = Field(default=r"^[A-Z]{1,2}$", description="Letter revisions A..ZZ.")
    max_bom_depth: int = Field(default=20, description="Deeper BOMs fail the structural check: bad PLM data.")
    sample_rows: int = Field(default=20, description="Offending rows shown per failed expectation.")
    reconciliation_severity: str = Field(
        default="ERROR", description="Severity of a failed systems_agree: ERROR or WARN."
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError naming the field whose value cannot work."""
        for name in ("part_number_pattern", "revision_pattern"):
            try:
                re.compile(getattr(self, name))
            except re.error as exc:
                raise ValueError(f"ValidationRulesResource.{name}: not a regular expression ({exc})") from None
        if self.max_bom_depth < 1 or self.sample_rows < 0:
            raise ValueError("ValidationRulesResource: max_bom_depth must be >= 1 and sample_rows >= 0")
        if self.reconciliation_severity.strip().upper() not in SEVERITIES:
            raise ValueError(
                f"ValidationRulesResource.reconciliation_severity={self.reconciliation_severity!r}: "
                "expected ERROR or WARN"
            )

    def check_severity(self) -> dg.AssetCheckSeverity:
        """The severity of a failed `systems_agree` check."""
        return dg.AssetCheckSeverity(self.reconciliation_severity.strip().upper())
