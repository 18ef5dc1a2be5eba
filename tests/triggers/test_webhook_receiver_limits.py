"""The receiver's bounds over real HTTP: nesting depth, header sizes, item numbers, slow and idle clients.

Every refusal answers its status, is logged with its reason and leaves no drop.
"""

from __future__ import annotations

import json
import logging
import select
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from orchestration.triggers_config import WebhookSettings
from orchestration.webhooks import RunningReceiver, receiving
from tests.triggers.support import change_event, post, signed_delivery

READ_TIMEOUT_S = 2.0  # the default is 10 s; short here so the slow clients are cut off quickly


@pytest.fixture
def strict_receiver(store) -> Iterator[RunningReceiver]:
    settings = WebhookSettings.from_env(
        {"MFG_SYNC_PROFILE": "sandbox", "MFG_SYNC_WEBHOOK_READ_TIMEOUT_S": str(READ_TIMEOUT_S)}
    )
    with receiving(store, settings) as running:
        yield running


def nested(depth: int) -> bytes:
    """A change event whose data carries a list nested `depth` deep."""
    event = change_event("ECO-7", "PRT-200255")
    raw = json.dumps(event, separators=(",", ":")).encode()
    return raw[:-1] + b',"deep":' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_json_nested_too_deep_gets_400_and_leaves_no_drop(receiver, store, depth):
    body, headers = signed_delivery(None, body=nested(depth))
    response = post(receiver.plm_url, body, headers)
    assert response.status_code == 400
    assert "nested deeper than 64" in response.json()["error"]
    assert store.webhook_drops_after(0) == []


def test_json_nested_within_the_bound_is_accepted(receiver, store):
    body, headers = signed_delivery(None, body=nested(60))
    assert post(receiver.plm_url, body, headers).status_code == 202
    assert len(store.webhook_drops_after(0)) == 1


@pytest.mark.parametrize(
    "header, size, status",
    [
        ("webhook-id", 10_000, 400),
        ("webhook-id", 256, 400),
        ("webhook-timestamp", 100, 400),
        ("webhook-signature", 5_000, 400),
        ("x-padding", 9_000, 431),
    ],
)
def test_oversized_headers_are_refused_and_leave_no_drop(receiver, store, header, size, status):
    event = change_event("ECO-8", "PRT-200255")
    if header == "webhook-id":  # signed validly: the length alone must refuse it
        body, headers = signed_delivery(event, msg_id="m" * size)
    else:
        body, headers = signed_delivery(event)
        headers[header] = " ".join(["v1,AAAA"] * size)[:size].strip() if header == "webhook-signature" else "1" * size
    response = post(receiver.plm_url, body, headers)
    assert response.status_code == status
    assert header in response.json()["error"] or "headers of" in response.json()["error"]
    assert store.webhook_drops_after(0) == []


def test_a_255_character_webhook_id_is_accepted(receiver, store):
    body, headers = signed_delivery(change_event("ECO-8", "PRT-200255"), msg_id="m" * 255)
    assert post(receiver.plm_url, body, headers).status_code == 202
    [drop] = store.webhook_drops_after(0)
    assert drop.event_id == "m" * 255


@pytest.mark.parametrize(
    "number, reason",
    [
        ("PRT-\ud800", "lone surrogate"),
        ("*", "wildcard '*'"),
        ("PRT-2002*", "wildcard '*'"),
        ("PRT-20?", "wildcard '?'"),
        ("PRT-\x07200", "control character"),
        ("P" * 65, "65 characters long"),
        ("PRT 200255", "does not match"),
        ("", "is empty"),
    ],
)
def test_an_item_number_no_plm_issues_gets_400_with_the_reason(receiver, store, caplog, number, reason):
    caplog.set_level(logging.WARNING, logger="orchestration.webhooks")
    body, headers = signed_delivery(change_event("ECO-9", "ASM-10004", number))
    response = post(receiver.plm_url, body, headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "data.affectedItems[1].number" in error and reason in error
    assert store.webhook_drops_after(0) == []
    assert any("rejected 400" in r.getMessage() and reason in r.getMessage() for r in caplog.records)


# --- slow and idle clients -------------------------------------------------------------------------------------


def open_connection(receiver: RunningReceiver) -> socket.socket:
    address = urlsplit(receiver.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=READ_TIMEOUT_S * 5)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by the socket's timeout)."""
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return received


class Trickler(threading.Thread):
    """Sends a signed delivery's head, then its body at one byte per 0.2 s, until the server hangs up."""

    def __init__(self, receiver: RunningReceiver) -> None:
        super().__init__(daemon=True)
        body, headers = signed_delivery(change_event("ECO-SLOW", "PRT-200255"))
        self.head = (
            f"POST {urlsplit(receiver.plm_url).path} HTTP/1.1\r\nhost: receiver\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + f"content-length: {len(body)}\r\n\r\n"
        ).encode()
        self.body, self.sock, self.answer = body, open_connection(receiver), b""

    def run(self) -> None:
        try:
            self.sock.sendall(self.head)
            for byte in self.body:
                if select.select([self.sock], [], [], 0.2)[0]:
                    break  # the server answers (or hangs up) before the body is complete
                self.sock.sendall(bytes([byte]))
        except OSError:
            pass  # the server hung up on us, as it should
        self.answer = read_until_closed(self.sock)
        self.sock.close()


def test_a_body_trickled_in_is_cut_off_with_408(strict_receiver, store, caplog):
    caplog.set_level(logging.WARNING, logger="orchestration.webhooks")
    trickler = Trickler(strict_receiver)
    trickler.start()
    trickler.join(READ_TIMEOUT_S * 10)
    assert trickler.answer.startswith(b"HTTP/1.1 408")
    assert store.webhook_drops_after(0) == []
    assert any("rejected 408" in r.getMessage() and "body not received" in r.getMessage() for r in caplog.records)


def test_100_half_open_connections_are_all_closed_after_the_read_timeout(strict_receiver, caplog):
    caplog.set_level(logging.WARNING, logger="orchestration.webhooks")
    connections = [open_connection(strict_receiver) for _ in range(100)]
    for n, sock in enumerate(connections):
        if n % 2:  # half of them start a request head and never finish it
            sock.sendall(b"POST /webhooks/plm HTTP/1.1\r\nhost: receiver\r\n")
    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(read_until_closed, connections))
    for sock in connections:
        sock.close()
    assert sum(a.startswith(b"HTTP/1.1 408") for a in answers) == 100
    assert sum("rejected 408" in r.getMessage() for r in caplog.records) == 100


def test_signed_deliveries_keep_getting_202_while_tricklers_hold_connections(strict_receiver, store):
    tricklers = [Trickler(strict_receiver) for _ in range(20)]
    for trickler in tricklers:
        trickler.start()
    deliveries = [signed_delivery(change_event(f"ECO-{n}", "PRT-200255")) for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda d: post(strict_receiver.plm_url, *d).status_code, deliveries))
    still_trickling = sum(t.is_alive() for t in tricklers)
    for trickler in tricklers:
        trickler.join(READ_TIMEOUT_S * 10)

    assert statuses == [202] * 20
    assert still_trickling == 20  # the deliveries were served while every trickler held its connection
    assert [t.answer[:12] for t in tricklers] == [b"HTTP/1.1 408"] * 20
    assert len(store.webhook_drops_after(0)) == 20


def post_until_accepted(url: str, body: bytes, headers: dict[str, str], tries: int = 50) -> list[int]:
    """The statuses of posting one delivery, a tenth of a second apart, until it is accepted."""
    statuses: list[int] = []
    with httpx.Client(timeout=10) as client:
        while len(statuses) < tries and 202 not in statuses:
            statuses.append(client.post(url, content=body, headers=headers).status_code)
            time.sleep(0 if statuses[-1] == 202 else 0.1)
    return statuses


def test_connections_beyond_the_cap_get_503_until_one_is_freed(store):
    settings = WebhookSettings.from_env({"MFG_SYNC_PROFILE": "sandbox", "MFG_SYNC_WEBHOOK_MAX_CONNECTIONS": "5"})
    with receiving(store, settings) as running:
        idle = [open_connection(running) for _ in range(5)]
        body, headers = signed_delivery(change_event("ECO-CAP", "PRT-200255"))
        with httpx.Client(timeout=10) as client:
            refused = client.post(running.plm_url, content=body, headers=headers).status_code
        for sock in idle:
            sock.close()
        statuses = post_until_accepted(running.plm_url, body, headers)  # the server notices the closes
    assert refused == 503
    assert statuses[-1] == 202 and set(statuses) <= {503, 202}
    assert len(store.webhook_drops_after(0)) == 1
