"""The shape of the MES's completion event: what the receiver accepts and what the confirmation step reads."""

from __future__ import annotations

import re
from typing import Any

EVENT = "productOrder.completed"
ID_FIELDS = ("productOrderNumber", "workInstructionId", "recordingId")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def completion_ids(event: Any) -> tuple[dict[str, str], str | None]:
    """The ids of a completion event, or the reason it is not one (naming the field)."""
    if not isinstance(event, dict):
        return {}, "event must be a JSON object"
    if event.get("event") != EVENT:
        return {}, f"field 'event' is {event.get('event')!r}, expected {EVENT!r}"
    ids = {}
    for name in ID_FIELDS:
        value = event.get(name)
        if name == "workInstructionId" and value in (None, ""):
            continue  # "if applicable": an order completed without a work instruction
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            return {}, f"field {name!r} is missing or not an id (letters, digits . _ -, up to 40): {ascii(value)[:60]}"
        ids[name] = value
    return ids, None
