"""`mfg-sync events serve` against a broker that wants TLS and a password, as plant brokers do: URL, user,
password and CA from the environment. A real Mosquitto is started for the module on a free port with its own
certificate authority (CI fails when the `mosquitto` binary is missing; elsewhere the tests skip)."""

from __future__ import annotations

import datetime
import getpass
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from resources.state import StateStore
from sandbox import condition as publisher

USER, PASSWORD = "plant-historian", "s3cret-mqtt-pass"


@dataclass(frozen=True)
class TlsBroker:
    port: int
    ca_file: Path
    other_ca_file: Path  # a CA that did not sign the broker's certificate


def _key_and_cert(subject: str, issuer_key=None, issuer_name=None, ca: bool = False):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return key, builder.sign(issuer_key or key, hashes.SHA256())


def _pem(path: Path, key=None, cert=None) -> Path:
    if key is not None:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    else:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory) -> Iterator[TlsBroker]:
    binary, passwd = shutil.which("mosquitto") or "/usr/sbin/mosquitto", shutil.which("mosquitto_passwd")
    if not (os.path.exists(binary) and passwd):
        if os.environ.get("CI") == "true":
            pytest.fail("the mosquitto binary is missing, and CI=true needs the MQTT TLS tests")
        pytest.skip("no mosquitto binary")
    tmp = tmp_path_factory.mktemp("tls_broker")
    ca_key, ca_cert = _key_and_cert("mfg-sync test CA", ca=True)
    key, cert = _key_and_cert("127.0.0.1", ca_key, ca_cert.subject)
    _, other_ca = _key_and_cert("another CA", ca=True)
    subprocess.run([passwd, "-b", "-c", str(tmp / "passwd"), USER, PASSWORD], check=True, capture_output=True)
    port = _free_port()
    config = tmp / "mosquitto.conf"
    config.write_text(
        f"user {getpass.getuser()}\npersistence false\nper_listener_settings true\n"
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {tmp / 'passwd'}\n"
        f"cafile {_pem(tmp / 'ca.pem', cert=ca_cert)}\ncertfile {_pem(tmp / 'server.pem', cert=cert)}\n"
        f"keyfile {_pem(tmp / 'server.key', key=key)}\n"
    )
    log = (tmp / "mosquitto.log").open("wb")
    server = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (tmp / "mosquitto.log").read_text()
                assert time.monotonic() < deadline, "mosquitto did not listen within 10 s"
                time.sleep(0.05)
        yield TlsBroker(port, tmp / "ca.pem", _pem(tmp / "other_ca.pem", cert=other_ca))
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def _tls_publisher(broker: TlsBroker) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"historian-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(USER, PASSWORD)
    client.tls_set(ca_certs=str(broker.ca_file))
    client.connect("127.0.0.1", broker.port, keepalive=30)
    client.loop_start()
    return client


def _serve(tmp_path: Path, broker: TlsBroker, **env: str) -> tuple[subprocess.Popen, StateStore, str, Path]:
    prefix = f"tls-{uuid.uuid4().hex[:8]}/"
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = StateStore(url)
    store.upgrade()
    variables = {
        **os.environ,
        "MFG_SYNC_STATE_URL": url,
        "MFG_SYNC_MQTT_URL": f"mqtts://127.0.0.1:{broker.port}",
        "MFG_SYNC_MQTT_USERNAME": USER,
        "MFG_SYNC_MQTT_PASSWORD": PASSWORD,
        "MFG_SYNC_MQTT_CA_FILE": str(broker.ca_file),
        "MFG_SYNC_MQTT_CLIENT_ID": f"mfg-sync-tls-{uuid.uuid4().hex[:8]}",
        "MFG_SYNC_MQTT_TOPICS": f"{prefix}plant/+/asset/+/condition",
        **env,
    }
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "orchestration.cli", "events", "serve"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=variables, stdout=out, stderr=subprocess.STDOUT)
    return server, store, prefix, log


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(10)


def _drops(store: StateStore, count: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while (n := len(store.webhook_drops_after(0, source="condition"))) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return n


def test_events_arrive_over_tls_with_a_password(tls_broker, tmp_path):
    server, store, prefix, log = _serve(tmp_path, tls_broker)
    client = _tls_publisher(tls_broker)
    try:
        [event] = publisher.events("P-101", 11.2, 1)
        deadline = time.monotonic() + 30
        while _drops(store, 1, 0.5) < 1:  # until events serve has subscribed
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            publisher.publish(client, publisher.topic("P1000", "P-101", prefix), iter([event]))
    finally:
        client.loop_stop()
        client.disconnect()
        _stop(server)
    [drop] = store.webhook_drops_after(0, source="condition")
    assert drop.event_id == event["event_id"]
    assert PASSWORD not in log.read_text()


def test_a_wrong_password_is_refused_by_the_broker_and_said_in_the_log(tls_broker, tmp_path):
    server, store, _, log = _serve(tmp_path, tls_broker, MFG_SYNC_MQTT_PASSWORD="not-the-password")
    try:
        deadline = time.monotonic() + 20
        while "refused the connection" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        _stop(server)
    text = log.read_text()
    assert "MQTT broker refused the connection: Not authorized" in text, text
    assert "not-the-password" not in text
    assert store.webhook_drops_after(0, source="condition") == []


def test_a_broker_certificate_from_another_ca_is_not_trusted_and_serve_exits_saying_so(tls_broker, tmp_path):
    server, store, _, log = _serve(tmp_path, tls_broker, MFG_SYNC_MQTT_CA_FILE=str(tls_broker.other_ca_file))
    try:
        deadline = time.monotonic() + 20
        while server.poll() is None and "certificate verify failed" not in log.read_text():
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        _stop(server)
    assert "cannot reach the MQTT broker at 127.0.0.1" in log.read_text()
    assert "certificate verify failed" in log.read_text() and server.returncode != 0
    assert store.webhook_drops_after(0, source="condition") == []
