"""The target fields each ERP kind declares per entity, so a mapping spec naming a field the ERP does not have
fails before any write (in `mfg-sync mappings check` and when a run loads its spec)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module

# kind -> the module whose TARGET_FIELDS declares its entities' fields (imported only when asked)
KIND_MODULES = {"sap": "resources.erp.sap.payloads"}


def declared_target_fields(kind: str = "sap") -> Mapping[str, tuple[str, ...]]:
    """Entity -> the fields an ERP of `kind` accepts."""
    if kind not in KIND_MODULES:
        raise ValueError(f"unknown ERP kind {kind!r}; known kinds: {', '.join(sorted(KIND_MODULES))}")
    return import_module(KIND_MODULES[kind]).TARGET_FIELDS
