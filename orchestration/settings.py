"""Settings read from the environment, in one place, with the embedded defaults documented in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """Everything mfg-sync keeps locally by default: sandbox state, state store, Parquet tables, reports."""
    return Path(os.environ.get("MFG_SYNC_DATA_DIR", REPO_ROOT / ".mfg_sync")).resolve()


def storage_dir() -> Path:
    """Where each asset's table is persisted as Parquet (one file per asset and partition)."""
    return Path(os.environ.get("MFG_SYNC_STORAGE_DIR", data_dir() / "tables")).resolve()


def mapping_spec_path() -> Path:
    return Path(os.environ.get("MFG_SYNC_MAPPING_SPEC", REPO_ROOT / "mappings" / "plm_to_erp.yaml")).resolve()


@dataclass(frozen=True)
class SyncSettings:
    """Knobs of the BOM sync that are not a system's connection settings."""

    max_bom_depth: int = 20  # the structural check fails deeper trees: a sign of bad PLM data

    @classmethod
    def from_env(cls) -> SyncSettings:
        return cls(
            max_bom_depth=int(os.environ.get("MFG_SYNC_MAX_BOM_DEPTH", cls.max_bom_depth)),
        )


def load_mapping_spec():  # -> sync.spec.MappingSpec
    """The mapping spec in force, parsed and validated (a bad spec raises before any write)."""
    from sync.spec_builder import load_spec

    return load_spec(mapping_spec_path())
