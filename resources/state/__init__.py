"""The sync-state store: `StateStore`, the rows it hands back, and `SyncStateResource` (Dagster).

Exports are lazy so that light users (the webhook receiver, the state CLI) do not import Dagster.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "StateStore": "resources.state.store",
    "StateStoreError": "resources.state.store",
    "SyncStateResource": "resources.state.resource",
    "SyncRun": "resources.state.store",
    "AuditEntry": "resources.state.store",
    "DeadLetter": "resources.state.store",
    "WebhookDrop": "resources.state.store",
    "FieldConflict": "resources.state.store",
    "Conflict": "resources.state.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'resources.state' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
