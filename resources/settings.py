"""Where mfg-sync keeps things locally: the one place that resolves `MFG_SYNC_DATA_DIR` and the paths under it.

Read at call time, never at import, so a test or a launcher can point them elsewhere without reloading.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "MFG_SYNC_DATA_DIR"
STORAGE_DIR_ENV = "MFG_SYNC_STORAGE_DIR"
MAPPING_SPEC_ENV = "MFG_SYNC_MAPPING_SPEC"
DEFAULT_MAPPING_SPEC = REPO_ROOT / "mappings" / "plm_to_erp.yaml"


def data_dir() -> Path:
    """Everything mfg-sync keeps locally by default: sandbox state, state store, Parquet tables, reports."""
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / ".mfg_sync").resolve()


def sandbox_dir() -> Path:
    """Where the local sandbox keeps its state and publishes `sandbox.json`."""
    return data_dir() / "sandbox"


def storage_dir() -> Path:
    """Where each asset's table is persisted as Parquet (one file per asset and partition)."""
    return Path(os.environ.get(STORAGE_DIR_ENV) or data_dir() / "tables").resolve()


def reports_dir() -> Path:
    """Where report files (reconciliation HTML) are written."""
    return data_dir() / "reports"


def state_db_url() -> str:
    """The default sync-state store: a SQLite file under the data dir."""
    return f"sqlite:///{data_dir() / 'state.db'}"


def mapping_spec_path() -> Path:
    """The mapping spec in force (`MFG_SYNC_MAPPING_SPEC`, default `mappings/plm_to_erp.yaml`)."""
    return Path(os.environ.get(MAPPING_SPEC_ENV) or DEFAULT_MAPPING_SPEC).resolve()
