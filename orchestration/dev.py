"""`make dev`: the sandbox systems on their default ports and the Dagster UI, wired together.

The sandbox keeps its state in the data dir (the same one `make demo` uses), the webhook receiver listens
on 8090 with the sandbox PLM subscribed (so releasing a change order in the PLM triggers `plm_change_sensor`),
the released assemblies are registered as partitions, `mfg-sync events serve` listens for condition events
on the MQTT broker, and the Dagster webserver (UI at
http://127.0.0.1:3000) and daemon (schedules, sensors, run queue) run until Ctrl-C. The local Tryton
(port 8105) runs beside them, so both ERP connections (`sap`, `tryton`) are wired. They are started as the
two processes a deployment runs, rather than through `dagster dev`, which now only points at `dg dev`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration.local_stack import local_stack, stop_cleanly_on_sigterm
from orchestration.local_tryton import local_tryton
from orchestration.settings import REPO_ROOT
from orchestration.tryton_server import DEFAULT_PORT as TRYTON_PORT

DEFAULT_PORTS = {"plm": 8101, "erp": 8102, "eam": 8103, "mes": 8104}


def main() -> int:
    stop_cleanly_on_sigterm()
    with local_stack(ports=DEFAULT_PORTS) as stack, local_tryton(port=TRYTON_PORT) as (tryton, why_not):
        for system in stack.sandbox.servers:
            print(f"{system.upper()} sandbox: {stack.sandbox.base_url(system)}")
        print(f"Tryton (connection `tryton`): {tryton.url if tryton else why_not}")
        print(f"webhook receiver: {stack.receiver.plm_url} (the sandbox PLM posts change.effective here)")
        print(f"partitions: {len(stack.released)} released assemblies registered")
        workspace = str(REPO_ROOT / "workspace.yaml")
        print("condition events: `mfg-sync events serve` on the MQTT broker (MFG_SYNC_MQTT_URL, default :1883)")
        print("Dagster UI: http://127.0.0.1:3000   (Ctrl-C stops everything)")
        daemon = subprocess.Popen([_tool("dagster-daemon"), "run", "-w", workspace], cwd=REPO_ROOT)
        # the MQTT listener, so `mfg-sync sandbox condition` events reach condition_event_sensor
        events = subprocess.Popen([_tool("mfg-sync"), "events", "serve"], cwd=REPO_ROOT)
        try:
            return subprocess.call(
                [_tool("dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", "3000"], cwd=REPO_ROOT
            )
        except KeyboardInterrupt:
            return 0
        finally:
            for process in (events, daemon):
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def _tool(name: str) -> str:
    """A console script of this venv (the one running us), so `make dev` needs nothing on PATH."""
    return str(Path(sys.executable).with_name(name))


if __name__ == "__main__":
    raise SystemExit(main())
