"""`mfg-sync events serve` killed with SIGKILL while QoS 1 messages arrive, then restarted: every message is
processed once (its persistent session got the queued and the unacknowledged ones; the drops dedupe)."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from resources.state import StateStore
from sandbox import condition as publisher
from tests.condition.condition_harness import broker, forget_session

TOTAL = 400


def _serve(env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "orchestration.cli", "events", "serve"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(store: StateStore, count: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while (n := len(store.webhook_drops_after(0, source="condition", limit=100_000))) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return n


def test_kill_9_of_events_serve_while_messages_arrive_loses_and_duplicates_nothing(tmp_path):
    host, port = broker()
    prefix = f"test-{uuid.uuid4().hex[:10]}/"
    url = f"sqlite:///{tmp_path / 'state.db'}"
    env = {
        **os.environ,
        "MFG_SYNC_STATE_URL": url,
        "MFG_SYNC_MQTT_URL": f"mqtt://{host}:{port}",
        "MFG_SYNC_MQTT_CLIENT_ID": f"mfg-sync-kill-{uuid.uuid4().hex[:8]}",
        "MFG_SYNC_MQTT_TOPICS": f"{prefix}plant/+/asset/+/condition",
    }
    store = StateStore(url)
    store.upgrade()
    topic = publisher.topic("P1000", "P-101", prefix)
    client = publisher.connect(host, port)
    [probe] = publisher.events("P-101", 11.2, 1)
    server = _serve(env)
    while _wait(store, 1, 0.5) < 1:  # the session exists (subscribed) once the probe is in
        assert server.poll() is None, "events serve ended early"
        publisher.publish(client, topic, iter([probe]))
    events = list(publisher.events("P-101", 11.2, TOTAL))

    def send() -> None:  # paced, so the kill lands mid-stream even when the listener keeps up with the broker
        for event in events:
            publisher.publish(client, topic, iter([event]))
            time.sleep(0.005)

    sender = threading.Thread(target=send)
    sender.start()
    _wait(store, 1 + TOTAL // 4, 30)
    server.send_signal(signal.SIGKILL)  # mid-stream: some delivered, some in flight unacknowledged
    server.wait(10)
    killed_at = _wait(store, 0, 0)
    sender.join(60)
    server = _serve(env)
    try:
        assert _wait(store, 1 + TOTAL, 60) == 1 + TOTAL
        time.sleep(0.5)  # anything redelivered after the last one would show now
        drops = store.webhook_drops_after(0, source="condition", limit=100_000)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
        client.loop_stop()
        client.disconnect()
        forget_session(host, port, env["MFG_SYNC_MQTT_CLIENT_ID"])
    assert 1 < killed_at < 1 + TOTAL
    assert len(drops) == len({d.event_id for d in drops}) == 1 + TOTAL
    assert {d.event_id for d in drops} == {probe["event_id"], *(e["event_id"] for e in events)}
