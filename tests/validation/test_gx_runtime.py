"""Great Expectations runs in one context per process: built once, left clean after each validation."""

import pandas as pd

from expectations import gx_runtime


def _not_null():
    import great_expectations as gx

    return [gx.expectations.ExpectColumnValuesToNotBeNull(column="number")]


def test_the_context_is_built_once_for_many_validations():
    gx_runtime._context.cache_clear()
    frame = pd.DataFrame({"number": ["PRT-1", None]})
    first = gx_runtime.validate_table("suite_a", "parts", frame, _not_null, ["number"])
    second = gx_runtime.validate_table("suite_a", "parts", frame, _not_null, ["number"])
    assert gx_runtime._context.cache_info().misses == 1
    assert not first.result.success and not second.result.success


def test_a_validation_leaves_no_data_source_or_suite_behind():
    frame = pd.DataFrame({"number": ["PRT-1"]})
    assert gx_runtime.validate_table("suite_b", "parts", frame, _not_null, ["number"]).result.success
    context = gx_runtime._context()
    assert list(context.data_sources.all()) == []
    assert list(context.suites.all()) == []
