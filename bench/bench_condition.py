"""Condition events: events per second ingested (MQTT QoS 1 -> committed drop -> PUBACK) and the latency from
an event's publication to its work request in the EAM (ingest + one condition_sync run).

    python bench/bench_condition.py [--events 2000] [--latency-runs 5] [--broker 127.0.0.1:1883]

Needs the MQTT broker (Mosquitto on 127.0.0.1:1883 by default); starts the sandboxes itself on free ports,
with a SQLite state store in a temp directory. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg  # noqa: E402

from assets import assets_and_checks  # noqa: E402
from assets.condition_job import CONDITION_SELECTION, ConditionRulesResource  # noqa: E402
from assets.maintenance_spec import MaintenanceSpecResource  # noqa: E402
from orchestration.condition_ingest import ConditionListener, MqttSettings  # noqa: E402
from orchestration.io_manager import ParquetTableIOManager  # noqa: E402
from resources.eam import EAMResource  # noqa: E402
from resources.eam import work_requests as eam_requests  # noqa: E402
from resources.eam.client import WORK_ORDER  # noqa: E402
from resources.erp import ERPResource  # noqa: E402
from resources.mapping_spec import MappingSpecResource  # noqa: E402
from resources.plm import PLMResource  # noqa: E402
from resources.settings import mapping_spec_path  # noqa: E402
from resources.state import StateStore, SyncStateResource  # noqa: E402
from resources.validation_rules import ValidationRulesResource  # noqa: E402
from sandbox import condition as publisher  # noqa: E402
from sandbox.launcher import running_sandbox  # noqa: E402


def listening(host: str, port: int, store: StateStore, prefix: str) -> tuple[ConditionListener, threading.Thread]:
    settings = MqttSettings(
        host, port, False, None, None, None, f"bench-{uuid.uuid4().hex[:8]}", (f"{prefix}plant/+/asset/+/condition",)
    )
    listener = ConditionListener(settings, store)
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    if not listener.connected.wait(10):
        raise SystemExit(f"no MQTT broker answers at {host}:{port}")
    time.sleep(0.3)
    return listener, thread


def forget(host: str, port: int, listener: ConditionListener) -> None:
    """End the bench listener's persistent session on the broker (MQTT 3.1.1 keeps it until a clean connect)."""
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=listener.settings.client_id, clean_session=True)
    client.connect(host, port)
    client.disconnect()


def drops(store: StateStore) -> int:
    return len(store.webhook_drops_after(0, source="condition", limit=10_000_000))


def wait_for(listener: ConditionListener, count: int, timeout_s: float = 300) -> float:
    """Until the listener has committed `count` new drops (its own count: polling the table would slow it)."""
    deadline = time.monotonic() + timeout_s
    while listener.counts["stored"] < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {listener.counts['stored']} of {count} drops after {timeout_s} s")
        time.sleep(0.005)
    return time.perf_counter()


def ingest_rate(host: str, port: int, count: int, tmp: Path) -> None:
    store = StateStore(f"sqlite:///{tmp / 'ingest.db'}")
    store.upgrade()
    prefix = f"bench-{uuid.uuid4().hex[:8]}/"
    listener, thread = listening(host, port, store, prefix)
    client = publisher.connect(host, port)
    payloads = list(publisher.events("P-101", 11.2, count))
    started = time.perf_counter()
    publisher.publish(client, publisher.topic("P1000", "P-101", prefix), iter(payloads))
    published = time.perf_counter()
    done = wait_for(listener, count)
    listener.stop()
    thread.join(10)
    forget(host, port, listener)
    client.disconnect()
    print(f"ingest: {count} QoS 1 events, one publisher, SQLite state store")
    print(f"  published in {published - started:.2f} s; all {drops(store)} drops committed and acknowledged after")
    print(f"  {done - started:.2f} s: {count / (done - started):,.0f} events/s ingested")


def latency(host: str, port: int, runs: int, tmp: Path) -> None:
    with running_sandbox(None, overrides={"plm": {"rate_limit": None}}) as sandbox:
        url = sandbox.base_url
        state = SyncStateResource(url=f"sqlite:///{tmp / 'latency.db'}")
        resources = {
            "plm": PLMResource(url=url("plm"), rate_limit_requests=200),
            "erp": ERPResource(url=url("erp"), token_leeway_s=0),
            "eam": EAMResource(url=url("eam"), rate_limit_requests=200),
            "sync_state": state,
            "mapping_spec": MappingSpecResource(path=str(mapping_spec_path())),
            "maintenance_spec": MaintenanceSpecResource(),
            "validation_rules": ValidationRulesResource(),
            "condition_rules": ConditionRulesResource(),
            "io_manager": ParquetTableIOManager(base_dir=str(tmp / "tables")),
        }
        store = state.store()
        prefix = f"bench-{uuid.uuid4().hex[:8]}/"
        listener, thread = listening(host, port, store, prefix)
        client = publisher.connect(host, port)
        instance = dg.DagsterInstance.ephemeral()
        ingest_ms, totals, run_s = [], [], []
        for n in range(runs + 1):  # the first run warms up imports and the instance; not counted
            [event] = publisher.events("P-101", 11.2, 1)
            started = time.perf_counter()
            publisher.publish(client, publisher.topic("P1000", "P-101", prefix), iter([event]))
            stored = wait_for(listener, n + 1)
            result = dg.materialize(
                assets_and_checks(), selection=CONDITION_SELECTION, instance=instance, resources=resources
            )
            finished = time.perf_counter()
            with resources["eam"].client() as eam:
                [wo] = eam_requests.open_work_orders(eam, "P1000", "P-101", "BEARING")
                assert result.success and wo["externalrefid"] == f"COND-{event['event_id']}"
                eam.change_status(eam.href(WORK_ORDER, "P1000", wo["wonum"]), "CAN")  # the next event raises anew
            _forget_requests(store)
            if n:
                ingest_ms.append((stored - started) * 1000)
                run_s.append(finished - stored)
                totals.append(finished - started)
        listener.stop()
        thread.join(10)
        forget(host, port, listener)
        client.disconnect()
    print(f"event -> work request ({runs} events, each its own work request; sandboxes on loopback):")
    print(f"  publish -> drop committed: median {statistics.median(ingest_ms):.0f} ms, max {max(ingest_ms):.0f} ms")
    print(f"  condition_sync run (events -> work order in WAPPR -> follow-up): median {statistics.median(run_s):.2f} s")
    print(f"  total: median {statistics.median(totals):.2f} s, max {max(totals):.2f} s")
    print("  (plus up to the sensor's 10 s interval when the daemon, not a person, starts the run)")


def _forget_requests(store: StateStore) -> None:
    """Each measured event must raise its own work request: end the debounce of the last one."""
    from resources.state import condition_events

    run_id = store.start_run("condition_sync", None, "bench", "bench")
    old = condition_events.requests(store)
    condition_events.record_requests(
        store, run_id, {k: {**v, "created_at": "2000-01-01T00:00:00+00:00"} for k, v in old.items()}
    )
    store.finish_run(run_id, "succeeded")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--latency-runs", type=int, default=5)
    parser.add_argument("--broker", default="127.0.0.1:1883")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    host, _, port = args.broker.rpartition(":")
    with tempfile.TemporaryDirectory() as tmp:
        ingest_rate(host, int(port), args.events, Path(tmp))
        latency(host, int(port), args.latency_runs, Path(tmp))


if __name__ == "__main__":
    main()
