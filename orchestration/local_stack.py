"""The local stack behind `make demo` and `make dev`: sandbox PLM + ERP + EAM, the webhook receiver with the
sandbox PLM and the sandbox EAM's publish channel subscribed to it, and the released assemblies registered
as partitions."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from orchestration import bom_runs
from orchestration.webhooks import RunningReceiver, receiving, subscribe_plm
from resources.sandbox_profile import PROFILE_ENV, SANDBOX_PROFILE, apply_sandbox_profile
from resources.settings import sandbox_dir
from sandbox.launcher import RunningSandbox, running_sandbox

# The local PLM allows 100 requests/s (Arena's pace, 10/s, would make the first walk take minutes);
# the client is paced just under it, so it slows down before the PLM has to say 429.
LOCAL_PLM_RATE = {"rate_limit": 6000, "rate_window_s": 60.0}
LOCAL_CLIENT_PACE = {"MFG_SYNC_PLM_RATE_LIMIT": "80"}
# A fixed port: the persistent sandbox PLM keeps its subscription, which must stay valid across runs.
RECEIVER_PORT = 8090


def stop_cleanly_on_sigterm() -> None:
    """SIGTERM (a `kill`, a supervisor, `timeout`) unwinds like Ctrl-C: the context managers stop the local
    Tryton (its own session, so no signal reaches it otherwise) and the child processes are ended."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@dataclass
class LocalStack:
    sandbox: RunningSandbox
    receiver: RunningReceiver
    released: list[str]


def subscribe_eam(receiver_url: str) -> None:
    """Point the sandbox EAM's publish channel at the receiver, once (a persistent sandbox keeps it)."""
    from resources.eam.resource import EAMResource

    with EAMResource.from_env().client() as eam:
        existing = eam.api.get("/_sandbox/publish/subscriptions", route="/_sandbox/publish/subscriptions").json()
        if not any(sub.get("url") == receiver_url for sub in existing.get("member", [])):
            eam.subscribe(receiver_url)


@contextmanager
def local_stack(ports: dict[str, int] | None = None, receiver_port: int = RECEIVER_PORT) -> Iterator[LocalStack]:
    """Everything on loopback; sandbox ports default to free ones. Runs under the sandbox profile, with every
    connection variable set to this sandbox's values (a real secret in the shell is never sent to it)."""
    for var, value in LOCAL_CLIENT_PACE.items():
        os.environ.setdefault(var, value)
    os.environ[PROFILE_ENV] = SANDBOX_PROFILE
    with running_sandbox(sandbox_dir(), ports=ports, overrides={"plm": LOCAL_PLM_RATE}) as sandbox:
        apply_sandbox_profile(facts=sandbox.facts, overwrite=True)
        with receiving(port=receiver_port) as receiver:
            subscribe_plm(sandbox.base_url("plm"), receiver.plm_url)
            subscribe_eam(receiver.eam_url)
            from resources.mes import MESResource
            from resources.plm.resource import PLMResource

            with MESResource.from_env().client() as mes:  # completed product orders call the receiver
                mes.subscribe(f"{receiver.url}/webhooks/mes")

            with PLMResource.from_env().client() as plm:
                released = plm.released_top_assemblies()
            bom_runs.register_assemblies(bom_runs.instance(), released)
            yield LocalStack(sandbox, receiver, released)
