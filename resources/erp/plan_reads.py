"""The ERP as this run's plan step read it, kept for the run's post-sync checks while nothing is written.

A plan compares the PLM with a fresh read of the ERP. When the apply then writes nothing, a post-sync check
would read the same records again a few seconds later: under the in-process executor (one process per run,
the default) it validates the plan's read instead. An apply that sends a write drops its entity's read, and
a check in another process (Celery workers) finds nothing here: either way the check reads the ERP fresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

MATERIALS, BOMS = "material", "bom"
KEEP = 8  # reads held at once: a process runs one run's steps at a time, two per connection and assembly

_lock = threading.Lock()
_reads: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()


def _key(run_id: str, partition: str, flow: str, kind: str) -> tuple[str, str, str, str]:
    return (run_id, partition, flow, kind)


def keep(run_id: str, partition: str, flow: str, kind: str, snapshot: dict[str, Any]) -> None:
    with _lock:
        _reads[_key(run_id, partition, flow, kind)] = snapshot
        _reads.move_to_end(_key(run_id, partition, flow, kind))
        while len(_reads) > KEEP:
            _reads.popitem(last=False)


def drop(run_id: str, partition: str, flow: str, kind: str) -> None:
    """The apply wrote (or tried to write) this kind: the plan's read no longer says what the ERP holds."""
    with _lock:
        _reads.pop(_key(run_id, partition, flow, kind), None)


def get(run_id: str, partition: str, flow: str, kind: str) -> dict[str, Any] | None:
    with _lock:
        return _reads.get(_key(run_id, partition, flow, kind))
