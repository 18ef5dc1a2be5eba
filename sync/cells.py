"""How one value reads in a cell of a report table (plan views, failed expectations, run metadata)."""

from __future__ import annotations

import json
from typing import Any


def cell_text(value: Any) -> str:
    """Empty for None, canonical JSON for structures, `str` otherwise."""
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)
