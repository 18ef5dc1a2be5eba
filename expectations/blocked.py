"""Records a blocking check stops, as failed changes: each becomes a dead letter with the check's reason, so
`mfg-sync state dead-letters` shows everything that did not reach the ERP, not only what the ERP refused."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from expectations.gx_results import failed_expectations
from expectations.gx_runtime import TableValidation
from expectations.settings import CRITICAL
from sync.records import OPERATIONS, FailedChange

ERROR_CODE = "BLOCKED_BY_CHECK"
ALL_ROWS = 1_000_000  # every offending row, not a sample: each one is a record that was not written

# table -> (entity, key) of an offending row (its key columns and the offending value)
RecordOf = Callable[[Mapping[str, Any]], tuple[str, str] | None]


def blocked_changes(
    check: str, validations: Sequence[TableValidation], records: Mapping[str, RecordOf]
) -> list[FailedChange]:
    """One failed change per record a critical expectation stopped (several reasons for one record joined)."""
    reasons: dict[tuple[str, str], list[str]] = {}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for failure in failed_expectations(validations, ALL_ROWS):
        if failure.severity != CRITICAL or failure.table not in records:
            continue
        for row in failure.offending_rows:
            record = records[failure.table](row)
            if record is None:
                continue
            value = row.get(failure.column)
            reasons.setdefault(record, []).append(f"{failure.why} ({failure.column}={value!r})")
            rows[record] = {**rows.get(record, {}), **{k: _plain(v) for k, v in row.items()}}
    return [
        FailedChange(
            entity,
            key,
            _operation(rows[(entity, key)]),
            rows[(entity, key)],
            ERROR_CODE,
            f"check {check}: " + "; ".join(reasons[(entity, key)]),
            False,
        )
        for entity, key in sorted(reasons)
    ]


def _operation(row: Mapping[str, Any]) -> str:
    op = row.get("op")
    return op if op in OPERATIONS else "create"


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
