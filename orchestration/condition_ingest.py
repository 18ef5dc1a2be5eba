"""The condition-event listener behind `mfg-sync events serve`: MQTT in, one drop per event in the state store.

QoS 1 on a persistent session (a fixed client id, clean_session off), so messages published while the
listener is down are queued by the broker and delivered on reconnect. Each message is acknowledged (PUBACK)
only after its drop is committed: a crash in between makes the broker redeliver it, and the drop's
(source, event id) key makes that redelivery a no-op. A message that is not a valid event is kept as a
rejected drop with its reason (its id derived from topic and body, so a replay dedupes too), never lost.
Messages that arrive together are stored in one transaction (then each is acknowledged).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import re
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from resources.sandbox_profile import sandbox_profile_active
from resources.state import StateStore
from sync.condition import EventError, parse_event

log = logging.getLogger("orchestration.condition_ingest")
SOURCE = "condition"
EVENT_TYPE = "condition.threshold"
DEFAULT_TOPICS = ("plant/+/asset/+/condition",)
DEFAULT_CLIENT_ID = "mfg-sync-condition"
SANDBOX_BROKER = "mqtt://127.0.0.1:1883"
TOPIC_PARTS = re.compile(r"(?:^|/)plant/(?P<site>[^/]+)/asset/(?P<asset>[^/]+)/")
MAX_KEPT = 16_384  # characters of a malformed body kept with its drop


@dataclass(frozen=True)
class MqttSettings:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    ca_file: str | None
    client_id: str
    topics: tuple[str, ...]
    keepalive_s: int = 30

    @classmethod
    def from_env(cls, **overrides: Any) -> MqttSettings:
        """MFG_SYNC_MQTT_URL (mqtt:// or mqtts://), _USERNAME, _PASSWORD, _CA_FILE, _CLIENT_ID, _TOPICS."""
        url = os.environ.get("MFG_SYNC_MQTT_URL") or (SANDBOX_BROKER if sandbox_profile_active() else "")
        if not url:
            raise ValueError("MFG_SYNC_MQTT_URL is not set (the broker the condition events come from)")
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"MFG_SYNC_MQTT_URL must be mqtt://host:port or mqtts://host:port, not {parts.scheme}://")
        tls = parts.scheme in ("mqtts", "ssl")
        topics = os.environ.get("MFG_SYNC_MQTT_TOPICS", "")
        values: dict[str, Any] = dict(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=os.environ.get("MFG_SYNC_MQTT_USERNAME") or None,
            password=os.environ.get("MFG_SYNC_MQTT_PASSWORD") or None,
            ca_file=os.environ.get("MFG_SYNC_MQTT_CA_FILE") or None,
            client_id=os.environ.get("MFG_SYNC_MQTT_CLIENT_ID") or DEFAULT_CLIENT_ID,
            topics=tuple(t.strip() for t in topics.split(",") if t.strip()) or DEFAULT_TOPICS,
        )
        return cls(**{**values, **{k: v for k, v in overrides.items() if v}})

    def __repr__(self) -> str:  # the password never shows
        return f"MqttSettings({'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}, client {self.client_id})"


def event_from_message(topic: str, body: bytes) -> tuple[str, Any, str | None]:
    """(event id, payload to keep, why it is rejected or None) for one MQTT message."""
    fallback_id = "invalid-" + hashlib.sha256(topic.encode() + b"\0" + body).hexdigest()[:32]
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError as err:
        return fallback_id, {"topic": topic, "raw": text[:MAX_KEPT]}, f"message on {topic} is not JSON: {err}"
    match = TOPIC_PARTS.search(topic)
    try:
        event = parse_event(data, site=match["site"] if match else None)
    except EventError as err:
        event_id = data.get("event_id") if isinstance(data, dict) and isinstance(data.get("event_id"), str) else None
        kept_id = event_id[:200] if event_id and event_id.isprintable() else fallback_id
        return kept_id, {"topic": topic, "raw": text[:MAX_KEPT]}, f"invalid condition event on {topic}: {err}"
    if match and match["asset"].upper() != event.asset:
        reason = f"asset {event.asset} of the payload is not the topic's asset {match['asset']}"
        return event.event_id, {"topic": topic, **event.as_payload()}, reason
    if not event.site:
        return event.event_id, {"topic": topic, **event.as_payload()}, "no site: neither in the payload nor the topic"
    return event.event_id, {**event.as_payload(), "topic": topic}, None


def store_message(store: StateStore, topic: str, body: bytes) -> tuple[str, bool, str | None]:
    """Drop one message; (event id, stored now, rejection reason). Committed when this returns."""
    event_id, payload, reason = event_from_message(topic, body)
    if reason is None:
        return event_id, store.add_webhook_drop(SOURCE, event_id, EVENT_TYPE, payload), None
    stored = store.drops.add_rejected(SOURCE, event_id, EVENT_TYPE, payload, reason)
    if stored:
        log.warning("condition event %s rejected: %s", event_id, reason)
    return event_id, stored, reason


class ConditionListener:
    """Subscribes, drops, acknowledges; `run()` blocks until `stop()` (or a signal ends the process).

    The network thread only queues each message; a writer thread stores what has queued up in one
    transaction (up to `BATCH` drops), then acknowledges those messages: one commit per burst, not per event.
    """

    BATCH = 500

    def __init__(self, settings: MqttSettings, store: StateStore) -> None:
        self.settings, self.store = settings, store
        self.counts = {"received": 0, "stored": 0, "duplicates": 0, "rejected": 0}
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._inbox: queue.Queue[Any] = queue.Queue()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            clean_session=False,  # the broker keeps the subscription and queues QoS 1 messages while we are away
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if settings.username:
            self.client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            self.client.tls_set(ca_certs=settings.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT broker refused the connection: %s", reason_code)
            return
        client.subscribe([(topic, 1) for topic in self.settings.topics])
        log.info("subscribed to %s (session present: %s)", ", ".join(self.settings.topics), flags.session_present)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT connection lost (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message) -> None:
        self.counts["received"] += 1
        self._inbox.put(message)

    def _write(self) -> None:
        """The writer thread: drain what has queued, store it in one transaction, then PUBACK each message."""
        while not self._stop.is_set() or not self._inbox.empty():
            try:
                batch = [self._inbox.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < self.BATCH:
                try:
                    batch.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            events = [event_from_message(m.topic, m.payload) for m in batch]
            stored = self._store(events)
            if stored is None:
                return  # stopped while the state store was down: unacknowledged, the broker redelivers them
            for message, (event_id, _, reason), new in zip(batch, events, stored, strict=True):
                self.counts["rejected" if reason and new else "stored" if new else "duplicates"] += 1
                if reason and new:
                    log.warning("condition event %s rejected: %s", event_id, reason)
                self.client.ack(message.mid, message.qos)  # only now: the drop is committed

    def _store(self, events: list[tuple[str, Any, str | None]]) -> list[bool] | None:
        """Store the batch, retrying while the state store is down (nothing is acknowledged meanwhile)."""
        while True:
            try:
                return self.store.drops.add_batch(SOURCE, [(i, EVENT_TYPE, p, r) for i, p, r in events])
            except Exception:
                log.exception("%d condition event(s) could not be stored; retrying, not acknowledged", len(events))
                if self._stop.wait(2):
                    return None

    def run(self) -> None:
        writer = threading.Thread(target=self._write, name="condition-drops", daemon=True)
        writer.start()
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.connect(self.settings.host, self.settings.port, keepalive=self.settings.keepalive_s)
        self.client.loop_start()
        try:
            self._stop.wait()
        finally:
            writer.join(10)  # what has arrived is stored and acknowledged before we disconnect
            self.client.disconnect()
            self.client.loop_stop()

    def stop(self) -> None:
        self._stop.set()
