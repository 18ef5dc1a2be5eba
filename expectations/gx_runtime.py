"""Running Great Expectations 1.x on an in-memory pandas frame, with one ephemeral context per process.

Building a context takes seconds, so it is built once and each validation adds (and then removes) its own
uniquely named data source and suite. GX is imported inside the functions: importing it takes seconds too,
and most processes that import the suites (the CLI, the UI's code server) never validate anything.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

ExpectationFactory = Callable[[], Sequence[Any]]  # -> GX Expectation objects (built after GX is imported)
_context_lock = threading.Lock()  # one context per process, used by one validation at a time
_names = itertools.count(1)


@dataclass(frozen=True)
class TableValidation:
    """One table of a suite, validated: which suite and table, the keys that name a row, GX's result."""

    suite: str
    table: str
    key_columns: tuple[str, ...]
    rows: int
    result: Any  # great_expectations ExpectationSuiteValidationResult


@functools.cache
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


def validate_table(
    suite: str, table: str, frame: pd.DataFrame, expectations: ExpectationFactory, key_columns: Sequence[str]
) -> TableValidation:
    """Validate `frame` against the expectations of one table of `suite`; offending rows are named by keys."""
    import great_expectations as gx

    keys = [c for c in key_columns if c in frame.columns]
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if keys and len(frame):
        result_format["unexpected_index_column_names"] = keys
    with _context_lock:
        context = _context()
        source_name = f"{_safe(suite)}_{_safe(table)}_{next(_names)}"
        asset = context.data_sources.add_pandas(source_name).add_dataframe_asset(_safe(table))
        batch_definition = asset.add_batch_definition_whole_dataframe("whole_table")
        gx_suite = gx.ExpectationSuite(name=f"{suite}.{table}.{source_name}")
        for expectation in expectations():
            gx_suite.add_expectation(expectation)
        gx_suite = context.suites.add(gx_suite)
        try:
            batch = batch_definition.get_batch(batch_parameters={"dataframe": frame.reset_index(drop=True)})
            result = batch.validate(gx_suite, result_format=result_format)
        finally:  # the context lives on: leave nothing of this validation in it
            context.suites.delete(gx_suite.name)
            context.data_sources.delete(source_name)
    return TableValidation(suite, table, tuple(keys), len(frame), result)


def describe(expectation_type: str, kwargs: dict[str, Any]) -> str:
    """A short human reading of an expectation, e.g. 'quantity between 0 (exclusive) and -'."""
    shown = {k: v for k, v in kwargs.items() if k not in ("batch_id", "result_format") and v is not None}
    return f"{expectation_type.removeprefix('expect_')}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
