"""The ERP: `ERPResource` (Dagster), `ERPClient` and its `ERPBom` (the SAP kind).

Exports are lazy so that importing one ERP module does not import Dagster or every kind.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ERPResource": "resources.erp.sap.resource",
    "ERPClient": "resources.erp.sap.client",
    "ERPBom": "resources.erp.sap.boms",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'resources.erp' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
