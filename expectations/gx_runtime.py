"""Running Great Expectations 1.x on an in-memory pandas frame: an ephemeral context per validation.

GX is imported inside the functions: importing it takes seconds, and most processes that import the
suites (the CLI, the UI's code server) never validate anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

ExpectationFactory = Callable[[], Sequence[Any]]  # -> GX Expectation objects (built after GX is imported)


@dataclass(frozen=True)
class TableValidation:
    """One table of a suite, validated: which suite and table, the keys that name a row, GX's result."""

    suite: str
    table: str
    key_columns: tuple[str, ...]
    rows: int
    result: Any  # great_expectations ExpectationSuiteValidationResult


def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),  # no tqdm noise in run logs
        analytics_enabled=False,  # never phone home from a plant's network
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", name)


def validate_table(suite: str, table: str, frame: pd.DataFrame, expectations: ExpectationFactory,
                   key_columns: Sequence[str]) -> TableValidation:
    """Validate `frame` against the expectations of one table of `suite`; offending rows are named by keys."""
    import great_expectations as gx

    context = _context()
    asset = context.data_sources.add_pandas(_safe(suite)).add_dataframe_asset(_safe(table))
    batch_definition = asset.add_batch_definition_whole_dataframe("whole_table")
    gx_suite = gx.ExpectationSuite(name=f"{suite}.{table}")
    for expectation in expectations():
        gx_suite.add_expectation(expectation)
    gx_suite = context.suites.add(gx_suite)
    keys = [c for c in key_columns if c in frame.columns]
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if keys and len(frame):
        result_format["unexpected_index_column_names"] = keys
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame.reset_index(drop=True)})
    result = batch.validate(gx_suite, result_format=result_format)
    return TableValidation(suite, table, tuple(keys), len(frame), result)


def describe(expectation_type: str, kwargs: dict[str, Any]) -> str:
    """A short human reading of an expectation, e.g. 'quantity between 0 (exclusive) and -'."""
    shown = {k: v for k, v in kwargs.items() if k not in ("batch_id", "result_format") and v is not None}
    return f"{expectation_type.removeprefix('expect_')}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
