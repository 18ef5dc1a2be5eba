"""`make dev`: the sandbox systems on their default ports and the Dagster UI, wired together.

The sandbox keeps its state in the data dir (the same one `make demo` uses), the webhook receiver listens
on 8090 with the sandbox PLM subscribed (so releasing a change order in the PLM triggers `plm_change_sensor`),
the released assemblies are registered as partitions, and `dagster dev` serves the UI at
http://127.0.0.1:3000 until Ctrl-C.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration.local_stack import local_stack
from orchestration.settings import REPO_ROOT

DEFAULT_PORTS = {"plm": 8101, "erp": 8102}


def main() -> int:
    with local_stack(ports=DEFAULT_PORTS) as stack:
        for system in stack.sandbox.servers:
            print(f"{system.upper()} sandbox: {stack.sandbox.base_url(system)}")
        print(f"webhook receiver: {stack.receiver.plm_url} (the sandbox PLM posts change.effective here)")
        print(f"partitions: {len(stack.released)} released assemblies registered")
        dagster = Path(sys.executable).with_name("dagster")
        print("Dagster UI: http://127.0.0.1:3000   (Ctrl-C stops everything)")
        try:
            return subprocess.call([str(dagster), "dev", "-w", str(REPO_ROOT / "workspace.yaml")], cwd=REPO_ROOT)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
