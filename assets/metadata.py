"""Asset metadata in the shapes the Dagster UI shows best: plain numbers (plotted across runs) and tables."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

API_TOTALS = (
    "calls",
    "attempts",
    "retries",
    "resends",
    "errors",
    "rate_limit_wait_s",
    "quota_wait_s",
    "retry_wait_s",
    "request_time_s",
    "bytes_sent",
    "bytes_received",
)


def api_metadata(system: str, snapshot: Mapping[str, Any]) -> dict[str, float]:
    """A client's call metrics as `<system>_<total>` numbers, e.g. `erp_calls`, `plm_retries`."""
    return {f"{system}_{name}": snapshot[name] for name in API_TOTALS if name in snapshot}


def rows_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], limit: int = 200) -> dg.TableMetadataValue:
    """Up to `limit` rows as a UI table; values that are not scalars are shown as JSON text."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in columns])
    records = [dg.TableRecord({c: _cell(row.get(c)) for c in columns}) for row in rows[:limit]]
    return dg.MetadataValue.table(records, schema=schema)


def problems_table(problems: Sequence[Any], limit: int = 200) -> dg.TableMetadataValue:
    rows = [dataclasses.asdict(p) for p in problems]
    columns = list(rows[0]) if rows else ["kind", "message"]
    return rows_table(rows, columns, limit)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)
