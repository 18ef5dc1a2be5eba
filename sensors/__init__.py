"""Triggers that decide WHEN and WHICH partitions: they never do sync work themselves."""

import sys
import warnings

import dagster as dg


def definitions() -> dg.Definitions:
    """Every sensor defined in this package's modules (jobs they target come from `assets/`)."""
    with warnings.catch_warnings():  # the loader is "preview" in 1.13; it only walks our modules
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.Definitions(sensors=dg.load_definitions_from_package_module(sys.modules[__name__]).sensors)
