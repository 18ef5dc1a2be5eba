"""The EAM/CMMS (IBM Maximo shape): `EAMResource` (Dagster) and the `EAMClient` it builds.

Exports are lazy so that importing one EAM module does not import Dagster.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "EAMResource": "resources.eam.resource",
    "EAMClient": "resources.eam.client",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'resources.eam' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
