"""The state store's one error type and the checks that raise it, naming the record and field."""

from __future__ import annotations

from typing import Any


class StateStoreError(Exception):
    """A state-store call that cannot be honoured (unknown id, bad status, bad URL...)."""


def require(**fields: Any) -> None:
    for name, value in fields.items():
        if not value:
            raise StateStoreError(f"field {name!r} is required")


def require_record(where: str, entity: str, key: str) -> None:
    if not entity:
        raise StateStoreError(f"{where}: field 'entity' is required")
    if not key:
        raise StateStoreError(f"{where}: field 'key' is required")
