"""Software-defined assets of mfg-sync, one module per flow or system, with their checks and jobs.

Nothing is listed by hand: `definitions()` collects what the modules define, so a new asset, check or job
cannot be left out of the code location.
"""

import sys
import warnings

import dagster as dg


def definitions() -> dg.Definitions:
    """Every asset, asset check and job defined in this package's modules."""
    with warnings.catch_warnings():  # the loader is "preview" in 1.13; it only walks our modules
        warnings.simplefilter("ignore", dg.PreviewWarning)
        found = dg.load_definitions_from_package_module(sys.modules[__name__])
    return dg.Definitions(assets=found.assets, asset_checks=found.asset_checks, jobs=found.jobs)


def assets_and_checks() -> list:
    """The assets and standalone checks, as `dg.materialize` takes them (tests, benchmarks)."""
    found = definitions()
    return [*found.assets, *found.asset_checks]
