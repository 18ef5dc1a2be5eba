"""Test support for the condition flow: the real Mosquitto (127.0.0.1:1883, or MFG_SYNC_TEST_MQTT_URL), the
listener in a thread on a topic prefix of its own, the sandboxes shared per module with a fresh state store
per test, and the flow's assets materialized through Dagster."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pytest
import yaml

from assets import assets_and_checks
from assets import condition_state as state
from assets.condition_job import CONDITION_SELECTION, DEFAULT_CONDITION_RULES, ConditionRulesResource
from assets.erp_to_eam_spec import ErpToEamSpecResource
from orchestration.condition_ingest import ConditionListener, MqttSettings
from resources.eam import work_requests as eam_requests
from resources.eam.client import WORK_ORDER
from sandbox import condition as publisher
from tests.maintenance.maintenance_harness import MaintenanceHarness
from tests.sync_harness import SyncHarness

SITE = "P1000"


def broker() -> tuple[str, int]:
    """The broker's host and port; skips without one (fails under CI=true)."""
    parts = urlsplit(os.environ.get("MFG_SYNC_TEST_MQTT_URL", "mqtt://127.0.0.1:1883"))
    host, port = parts.hostname or "127.0.0.1", parts.port or 1883
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no MQTT broker at {host}:{port} ({err}), and CI=true needs the MQTT tests")
        pytest.skip(f"no MQTT broker at {host}:{port}")
    return host, port


@dataclass
class ConditionHarness:
    systems: SyncHarness
    host: str
    port: int
    prefix: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:10]}/")
    rules: dict[str, Any] = field(default_factory=lambda: yaml.safe_load(DEFAULT_CONDITION_RULES.read_text()))

    def store(self):
        return self.systems.state().store()

    def resources(self) -> dict[str, Any]:
        path = self.systems.tmp / "condition_rules.yaml"
        path.write_text(yaml.safe_dump(self.rules), encoding="utf-8")
        return {**self.systems.resources(), "condition_rules": ConditionRulesResource(path=str(path))}

    def run_flow(self, **resources: Any) -> dg.ExecuteInProcessResult:
        """The `condition_sync` job's assets once; `resources` replace the harness's (e.g. `alerts`)."""
        return dg.materialize(
            assets_and_checks(),
            selection=CONDITION_SELECTION,
            instance=self.systems.instance,
            resources={**self.resources(), **resources},
            raise_on_error=False,
        )

    # --- MQTT -----------------------------------------------------------------------------------------------
    def settings(self, client_id: str | None = None) -> MqttSettings:
        return MqttSettings(
            host=self.host,
            port=self.port,
            tls=False,
            username=None,
            password=None,
            ca_file=None,
            client_id=client_id or f"mfg-sync-test-{uuid.uuid4().hex[:10]}",
            topics=(f"{self.prefix}plant/+/asset/+/condition",),
        )

    @contextmanager
    def listening(self) -> Iterator[ConditionListener]:
        listener = ConditionListener(self.settings(), self.store())
        thread = threading.Thread(target=listener.run, daemon=True)
        thread.start()
        assert listener.connected.wait(10), "the listener did not connect to the broker"
        time.sleep(0.2)  # SUBACK
        try:
            yield listener
        finally:
            listener.stop()
            thread.join(10)
            forget_session(self.host, self.port, listener.settings.client_id)

    def publish(self, payloads: list[dict[str, Any] | bytes], asset: str = "P-101") -> int:
        client = publisher.connect(self.host, self.port)
        try:
            return publisher.publish(client, publisher.topic(SITE, asset, self.prefix), iter(payloads))
        finally:
            client.loop_stop()
            client.disconnect()

    def wait_for_drops(self, count: int, timeout_s: float = 30) -> int:
        deadline = time.monotonic() + timeout_s
        while (n := self.drop_count()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return n

    def drop_count(self) -> int:
        return len(self.store().webhook_drops_after(0, source=state.DROP_SOURCE, limit=1_000_000))

    # --- what the systems hold -------------------------------------------------------------------------------
    def work_requests(self, asset: str = "P-101", failure_class: str = "BEARING") -> list[dict[str, Any]]:
        with self.systems.resources()["eam"].client() as eam:
            return eam_requests.open_work_orders(eam, SITE, asset, failure_class)

    def work_order(self, wonum: str) -> dict[str, Any]:
        with self.systems.resources()["eam"].client() as eam:
            return eam_requests.work_order(eam, SITE, wonum)

    def approve(self, wonum: str) -> None:
        with self.systems.resources()["eam"].client() as eam:
            eam.change_status(eam.href(WORK_ORDER, SITE, wonum), "APPR")

    def close_open_requests(self) -> None:
        """Cancel what a test left open, so the next test's events are not covered by it."""
        with self.systems.resources()["eam"].client() as eam:
            for asset in ("P-101", "P-102"):
                for wo in eam_requests.open_work_orders(eam, SITE, asset, "BEARING"):
                    eam.change_status(eam.href(WORK_ORDER, SITE, wo["wonum"]), "CAN")

    def statuses(self) -> dict[str, dict[str, Any]]:
        return state.statuses(self.store())

    def maintenance(self, spec) -> MaintenanceHarness:
        harness = MaintenanceHarness(self.systems, spec, ErpToEamSpecResource())
        harness.go_live_now()
        return harness

    def fresh_state(self, tmp: Path) -> None:
        """A new state store and table directory for this test (the sandboxes stay)."""
        self.systems.tmp = tmp
        self.prefix = f"test-{uuid.uuid4().hex[:10]}/"
        self.rules = yaml.safe_load(DEFAULT_CONDITION_RULES.read_text())


def erp_count(harness: ConditionHarness, name: str) -> int:
    """What the sandbox ERP holds of `name` (e.g. purchase_requisitions), as its summary counts it."""
    import httpx

    return int(httpx.get(f"{harness.systems.url('erp')}/_sandbox/summary").json().get(name, 0))


def forget_session(host: str, port: int, client_id: str) -> None:
    """End a test's persistent session on the broker (MQTT 3.1.1 keeps it until a clean connect)."""
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect(host, port)
    client.loop_start()
    client.disconnect()
    client.loop_stop()
