"""`MappingSpecResource`: the mapping spec in force, parsed and validated once per run and shared by its assets.

spec = mapping_spec.spec()   # MappingSpec; a bad spec raises SpecError (file, entity, field) before any write,
                             # also for a target field the ERP kind does not declare
"""

from __future__ import annotations

import threading

import dagster as dg
from pydantic import Field, PrivateAttr

from resources.erp.target_fields import KIND_MODULES, declared_target_fields
from sync.spec import MappingSpec
from sync.spec_builder import load_spec
from sync.spec_targets import require_known_target_fields


class MappingSpecResource(dg.ConfigurableResource):
    """The YAML mapping spec analysts edit; wired with `MFG_SYNC_MAPPING_SPEC` (default mappings/plm_to_erp.yaml)."""

    path: str = Field(description="Path of the mapping spec (YAML).")
    erp_kind: str = Field(default="sap", description="The ERP kind whose declared fields the spec's targets must be.")

    _spec: MappingSpec | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.spec()  # a bad spec fails the run at its start, before any step reads or writes

    def spec(self) -> MappingSpec:
        """The parsed spec; read from disk on the first call of this resource instance (one per run)."""
        with self._lock:
            if self._spec is None:
                spec = load_spec(self.path)
                if self.erp_kind in KIND_MODULES:  # a kind without a field list checks its fields when it writes
                    declared = declared_target_fields(self.erp_kind)
                    spec = require_known_target_fields(spec, declared, f"the {self.erp_kind.upper()} ERP")
                self._spec = spec
            return self._spec

    def erp_units(self) -> list[str]:
        """The ERP units the spec's unit table maps to, sorted."""
        return sorted({conversion.to for conversion in self.spec().units.values()})
