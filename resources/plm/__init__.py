"""The PLM (Arena shape): `PLMResource` (Dagster) and the `PLMClient` it builds.

Exports are lazy so that importing one PLM module does not import Dagster.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "PLMResource": "resources.plm.resource",
    "PLMClient": "resources.plm.client",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'resources.plm' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
