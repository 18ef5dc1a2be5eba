"""`make dev`: the sandbox systems on their default ports and the Dagster UI, wired together.

The sandbox keeps its state in the data dir (the same one `make demo` uses), the released assemblies are
registered as partitions, and `dagster dev` serves the UI at http://127.0.0.1:3000 until Ctrl-C.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration import bom_runs
from orchestration.demo import DEMO_CLIENT_PACE, DEMO_PLM_RATE, ENV
from orchestration.settings import REPO_ROOT, data_dir
from sandbox.launcher import running_sandbox

DEFAULT_PORTS = {"plm": 8101, "erp": 8102}


def main() -> int:
    sandbox_dir = data_dir() / "sandbox"
    for var, value in DEMO_CLIENT_PACE.items():
        os.environ.setdefault(var, value)
    with running_sandbox(sandbox_dir, ports=DEFAULT_PORTS, overrides={"plm": DEMO_PLM_RATE}) as sandbox:
        for system, var in ENV.items():
            os.environ[var] = sandbox.base_url(system)
            print(f"{system.upper()} sandbox: {sandbox.base_url(system)}")
        from resources.plm import PLMResource

        with PLMResource.from_env().client() as plm:
            released = plm.released_top_assemblies()
        new = bom_runs.register_assemblies(bom_runs.instance(), released)
        print(f"partitions: {len(released)} released assemblies ({len(new)} newly registered)")
        dagster = Path(sys.executable).with_name("dagster")
        print("Dagster UI: http://127.0.0.1:3000   (Ctrl-C stops everything)")
        try:
            return subprocess.call([str(dagster), "dev", "-w", str(REPO_ROOT / "workspace.yaml")], cwd=REPO_ROOT)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
