"""The Dagster instance config for the embedded default: `deploy/dagster.local.yaml` into DAGSTER_HOME.

`make demo` and `make dev` call `ensure_local_instance` before the instance loads, so a fresh checkout
gets the run queue, pool limits and telemetry off. A `dagster.yaml` already in DAGSTER_HOME (e.g. the
PostgreSQL one from `deploy/dagster.yaml`) is never touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from orchestration.settings import REPO_ROOT

LOCAL_INSTANCE_YAML = REPO_ROOT / "deploy" / "dagster.local.yaml"
PRODUCTION_INSTANCE_YAML = REPO_ROOT / "deploy" / "dagster.yaml"


def ensure_local_instance(home: Path) -> Path:
    """Make sure `home/dagster.yaml` exists, copying the embedded default when it does not; returns its path."""
    home = Path(home)
    target = home / "dagster.yaml"
    if target.exists():
        return target
    if not LOCAL_INSTANCE_YAML.is_file():
        raise FileNotFoundError(f"the embedded instance config {LOCAL_INSTANCE_YAML} is missing from the checkout")
    home.mkdir(parents=True, exist_ok=True)
    # copy to a temp name, then rename: a concurrent `dagster dev` never reads half a file
    partial = target.with_name(f".dagster.yaml.{id(target)}.tmp")
    shutil.copyfile(LOCAL_INSTANCE_YAML, partial)
    partial.replace(target)
    return target
