"""Tuning knobs every outside-system resource reads the same way: `<PREFIX>_<KNOB>` environment variables.

e.g. MFG_SYNC_PLM_RATE_LIMIT=50 (requests per period), MFG_SYNC_ERP_BATCH_SIZE=50. A knob applies only
to a resource that has the field; a value that is not a number stops with the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

KNOBS: dict[str, tuple[str, type]] = {
    "rate_limit_requests": ("RATE_LIMIT", int),
    "rate_limit_period_s": ("RATE_LIMIT_PERIOD_S", float),
    "max_attempts": ("MAX_ATTEMPTS", int),
    "backoff_initial_s": ("BACKOFF_INITIAL_S", float),
    "backoff_max_s": ("BACKOFF_MAX_S", float),
    "total_budget_s": ("RETRY_BUDGET_S", float),
    "read_timeout_s": ("READ_TIMEOUT_S", float),
    "max_concurrency": ("MAX_CONCURRENCY", int),
    "batch_size": ("BATCH_SIZE", int),
}


def tuning_from_env(prefix: str, fields: Iterable[str]) -> dict[str, Any]:
    """The knobs set in the environment for the resource with these fields."""
    values: dict[str, Any] = {}
    for field in fields:
        if field not in KNOBS:
            continue
        suffix, kind = KNOBS[field]
        var = f"{prefix}_{suffix}"
        raw = os.environ.get(var)
        if raw is None or raw == "":
            continue
        try:
            values[field] = kind(raw)
        except ValueError as exc:
            raise ValueError(f"{var}={raw!r} is not a valid {kind.__name__}") from exc
    return values


def resolved(value: Any) -> Any:
    """A resource field's value. An `EnvVar` field is still the variable's name when the resource is used
    outside a Dagster run (CLI, tests): read the variable here."""
    import dagster as dg

    if isinstance(value, dg.EnvVar):
        found = value.get_value()
        if found is None:
            raise ValueError(f"environment variable {value.env_var_name} is not set")
        return found
    return value
