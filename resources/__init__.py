"""One resource per outside system, plus the sync-state store.

Exports are lazy so that light users (the webhook receiver, the state CLI) do not import Dagster.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "PLMResource": "resources.plm.resource",
    "ERPResource": "resources.erp.sap.resource",
    "SyncStateResource": "resources.state.resource",
    "StateStore": "resources.state.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'resources' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
