"""GX validation results -> one Dagster `AssetCheckResult` a person can act on.

The check fails when any CRITICAL expectation failed (severity ERROR: a blocking check stops the run);
warnings alone pass, reported with severity WARN. Metadata: counts, each failed expectation with its
unexpected count, and a sample of offending rows named by their keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from expectations.gx_runtime import TableValidation, describe
from expectations.settings import CRITICAL
from sync.cells import cell_text

FAILURE_COLUMNS = ["table", "severity", "expectation", "column", "unexpected_count", "sample_values", "why"]
ROW_COLUMNS = ["table", "severity", "expectation", "column", "row_key", "value"]


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not hold on one table."""

    table: str
    severity: str  # "critical" | "warning" | "info"
    expectation: str  # GX type, e.g. expect_column_values_to_be_between
    column: str
    unexpected_count: int
    sample_values: list[Any]
    offending_rows: list[dict[str, Any]]  # key columns (+ the offending value) per row
    why: str  # the expectation's description, or GX's exception message


def _severity(config: Any) -> str:
    value = getattr(config, "severity", CRITICAL)
    return str(getattr(value, "value", value) or CRITICAL)


def _error_message(result: Any) -> str:
    info = result.exception_info or {}
    if "raised_exception" not in info:  # GX nests it per metric
        info = next(iter(info.values()), {}) if info else {}
    return str(info.get("exception_message") or "") if info.get("raised_exception") else ""


def failed_expectations(validations: Sequence[TableValidation], sample: int = 20) -> list[FailedExpectation]:
    """Every failed expectation of these validations, critical first."""
    failures = []
    for validation in validations:
        for result in validation.result.results:
            if result.success:
                continue
            config = result.expectation_config
            kwargs = dict(config.kwargs)
            details = result.result or {}
            error = _error_message(result)
            column = kwargs.get("column") or ",".join(kwargs.get("column_list") or ()) or ""
            failures.append(
                FailedExpectation(
                    table=validation.table,
                    severity=CRITICAL if error else _severity(config),  # a suite that cannot run is not a pass
                    expectation=config.type,
                    column=str(column),
                    unexpected_count=int(details.get("unexpected_count") or 0),
                    sample_values=list(details.get("partial_unexpected_list") or [])[:sample],
                    offending_rows=list(details.get("unexpected_index_list") or [])[:sample],
                    why=error or config.description or describe(config.type, kwargs),
                )
            )
    order = {CRITICAL: 0, "warning": 1}
    return sorted(failures, key=lambda f: (order.get(f.severity, 2), f.table, f.column))


def _row_key(row: dict[str, Any], keys: Sequence[str]) -> str:
    return " / ".join(f"{k}={cell_text(row.get(k))}" for k in keys if k in row)


def _tables(failures: list[FailedExpectation], keys: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    schema = dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in FAILURE_COLUMNS])
    failed = [
        dg.TableRecord(
            {
                "table": f.table,
                "severity": f.severity,
                "expectation": f.expectation,
                "column": f.column,
                "unexpected_count": str(f.unexpected_count),
                "sample_values": cell_text(f.sample_values),
                "why": f.why,
            }
        )
        for f in failures
    ]
    rows = []
    for f in failures:
        for row in f.offending_rows:
            value = row.get(f.column, "")
            rows.append(
                dg.TableRecord(
                    {
                        "table": f.table,
                        "severity": f.severity,
                        "expectation": f.expectation,
                        "column": f.column,
                        "row_key": _row_key(row, keys[f.table]),
                        "value": cell_text(value),
                    }
                )
            )
    row_schema = dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in ROW_COLUMNS])
    out: dict[str, Any] = {}
    if failed:
        out["failed_expectations"] = dg.MetadataValue.table(failed, schema=schema)
    if rows:
        out["offending_rows"] = dg.MetadataValue.table(rows, schema=row_schema)
    return out


def _markdown(failures: list[FailedExpectation], keys: dict[str, tuple[str, ...]]) -> str:
    lines = ["| severity | table | column | unexpected | why | offending rows |", "|---|---|---|---|---|---|"]
    for f in failures:
        named = "; ".join(_row_key(r, keys[f.table]) for r in f.offending_rows[:5]) or cell_text(f.sample_values[:5])
        lines.append(f"| {f.severity} | {f.table} | {f.column} | {f.unexpected_count} | {f.why} | {named} |")
    return "\n".join(lines)


def log_verdict(context: dg.AssetCheckExecutionContext, result: dg.AssetCheckResult, what: str) -> dg.AssetCheckResult:
    """One run-log line per check verdict (partition, passed or FAILED, counts); returns the result."""
    counts = {k: result.metadata[k].value for k in ("critical_failures", "warnings") if k in result.metadata}
    context.log.info(f"{context.partition_key} {what}: {'passed' if result.passed else 'FAILED'} {counts}")
    return result


def to_check_result(
    validations: Sequence[TableValidation],
    *,
    asset_key: str | None = None,
    check_name: str | None = None,
    sample: int = 20,
) -> dg.AssetCheckResult:
    """One check result over one or more validated tables (e.g. a suite's parts and lines)."""
    failures = failed_expectations(validations, sample)
    critical = [f for f in failures if f.severity == CRITICAL]
    keys = {v.table: v.key_columns for v in validations}
    evaluated = sum(len(v.result.results) for v in validations)
    metadata: dict[str, Any] = {
        "suite": ", ".join(sorted({v.suite for v in validations})),
        "rows_validated": sum(v.rows for v in validations),
        "expectations_evaluated": evaluated,
        "critical_failures": len(critical),
        "warnings": len(failures) - len(critical),
        "unexpected_rows": sum(f.unexpected_count for f in failures),
    }
    if failures:
        metadata["summary"] = dg.MetadataValue.md(_markdown(failures, keys))
        metadata.update(_tables(failures, keys))
    return dg.AssetCheckResult(
        passed=not critical,
        severity=dg.AssetCheckSeverity.ERROR if critical or not failures else dg.AssetCheckSeverity.WARN,
        asset_key=asset_key,
        check_name=check_name,
        metadata=metadata,
        description=(
            f"{len(critical)} critical expectation(s) failed"
            if critical
            else f"{len(failures)} warning(s)"
            if failures
            else "all expectations met"
        ),
    )
