"""Paths and the mapping spec for the command line, launchers and tests outside a run.

`resources/settings.py` resolves the paths (the one place that reads MFG_SYNC_DATA_DIR); inside a run the
assets get the spec from the `mapping_spec` resource, parsed once per run.
"""

from __future__ import annotations

from resources.settings import REPO_ROOT, data_dir, mapping_spec_path, reports_dir, sandbox_dir, storage_dir
from sync.spec import MappingSpec

__all__ = [
    "REPO_ROOT",
    "data_dir",
    "load_mapping_spec",
    "mapping_spec_path",
    "reports_dir",
    "sandbox_dir",
    "storage_dir",
]


def load_mapping_spec() -> MappingSpec:
    """The mapping spec in force, parsed and validated (a bad spec raises before any write)."""
    from sync.spec_builder import load_spec

    return load_spec(mapping_spec_path())
