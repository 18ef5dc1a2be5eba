"""A condition-monitoring platform in miniature: publishes threshold events over MQTT (QoS 1).

`mfg-sync sandbox condition --asset P-101 --value 11.2 --count N` sends N events for the asset on
`plant/<site>/asset/<asset>/condition`, each with its own id, the value drifting slightly upwards as a
bearing that wears does, the measurement's threshold and the time of measurement.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt

# measurement -> (unit, alarm threshold): ISO 10816-3 class II velocity alarm, bearing and cabinet temperatures
MEASUREMENTS = {
    "vibration_velocity": ("mm/s", 7.1),
    "bearing_temperature": ("degC", 85.0),
    "cabinet_temperature": ("degC", 45.0),
}


def topic(site: str, asset: str, prefix: str = "") -> str:
    return f"{prefix}plant/{site}/asset/{asset}/condition"


def events(
    asset: str, value: float, count: int, *, site: str = "P1000", measurement: str = "vibration_velocity", rise=0.001
) -> Iterator[dict[str, Any]]:
    unit, threshold = MEASUREMENTS[measurement]
    start = datetime.now(UTC)
    for n in range(count):
        yield {
            "event_id": str(uuid.uuid4()),
            "site": site,
            "asset": asset,
            "measurement": measurement,
            "value": round(value + rise * n, 4),
            "unit": unit,
            "threshold": threshold,
            "timestamp": (start + timedelta(milliseconds=10 * n)).isoformat(),
        }


def connect(host: str, port: int, client_id: str | None = None) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"sandbox-pub-{uuid.uuid4().hex[:8]}")
    client.connect(host, port, keepalive=30)
    client.loop_start()
    return client


def publish(client: mqtt.Client, topic_name: str, payloads: Iterator[dict[str, Any] | bytes]) -> int:
    """Publish each at QoS 1 and wait until the broker acknowledged all of them; returns how many."""
    infos = [client.publish(topic_name, p if isinstance(p, bytes) else json.dumps(p).encode(), qos=1) for p in payloads]
    deadline = time.monotonic() + 60
    for info in infos:
        info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()))
    return sum(info.is_published() for info in infos)
