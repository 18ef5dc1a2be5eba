"""The sync-state store: `StateStore`, the rows it hands back, and `SyncStateResource` (Dagster).

Exports are lazy so that light users (the webhook receiver, the state CLI) do not import Dagster.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "StateStore": "resources.state.store",
    "StateStoreError": "resources.state.errors",
    "SyncStateResource": "resources.state.resource",
    "SyncRun": "resources.state.runs",
    "AuditEntry": "resources.state.audit",
    "DeadLetter": "resources.state.dead_letters",
    "WebhookDrop": "resources.state.drops",
    "FieldConflict": "resources.state.conflicts",
    "Conflict": "resources.state.conflicts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'resources.state' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
