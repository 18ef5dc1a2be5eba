"""Serving the webhook receiver with uvicorn so that slow or idle clients cannot hold it.

uvicorn alone never times out a request whose headers (or body) trickle in, and arms its keep-alive timer
only after a first response: 100 half-open connections stay open for ever. Here every connection gets
`read_timeout_s` to deliver its request headers (from its first byte, or from connecting), else it is
answered 408 and closed; the endpoint bounds the body read the same way (webhooks.py). `limit_concurrency`
answers 503 beyond `max_connections`, and idle keep-alive connections close after `keep_alive_s`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("orchestration.webhooks")

DEFAULT_READ_TIMEOUT_S = 10.0
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_KEEP_ALIVE_S = 5.0
MAX_HEADER_BLOCK_BYTES = 16 * 1024  # h11's bound on an incomplete request head: beyond it, 400 and close
_TIMEOUT_BODY = b'{"error": "request not received in time"}'
_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)


@dataclass(frozen=True)
class ReceiverLimits:
    """How long and how many: the knobs of `receiver_config`."""

    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    keep_alive_s: float = DEFAULT_KEEP_ALIVE_S


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head; subclassed per timeout (`with_deadline`)."""

    read_timeout_s = DEFAULT_READ_TIMEOUT_S
    _deadline: asyncio.TimerHandle | None = None

    @classmethod
    def with_deadline(cls, read_timeout_s: float) -> type[HeaderDeadlineProtocol]:
        return type(cls.__name__, (cls,), {"read_timeout_s": read_timeout_s})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the next request on a kept-alive connection starts its own clock
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head has arrived: the endpoint bounds the body
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._disarm()
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        received = len(self.conn.trailing_data[0])
        log.warning(
            "webhook connection from %s rejected 408: no complete request head within %.1f s (%d byte(s) received)",
            ":".join(map(str, self.client or ("-",))),
            self.read_timeout_s,
            received,
        )
        self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


def receiver_config(
    app: Any,
    limits: ReceiverLimits,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    backlog: int = 2048,
) -> uvicorn.Config:
    """The uvicorn configuration of the receiver: head deadline, connection cap, short keep-alive."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        access_log=False,
        backlog=backlog,
        http=HeaderDeadlineProtocol.with_deadline(limits.read_timeout_s),
        limit_concurrency=limits.max_connections,
        timeout_keep_alive=max(1, round(limits.keep_alive_s)),
        h11_max_incomplete_event_size=MAX_HEADER_BLOCK_BYTES,
    )


@dataclass
class RunningServer:
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_in_thread(
    app: Any, limits: ReceiverLimits, host: str = "127.0.0.1", port: int = 0, backlog: int = 2048
) -> RunningServer:
    """Serve `app` from a daemon thread (port 0 = a free one, bound before serving); returns once it accepts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    server = uvicorn.Server(receiver_config(app, limits, backlog=backlog))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # not the main thread
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"webhook receiver did not start on {host}:{sock.getsockname()[1]}")
        time.sleep(0.01)
    return RunningServer(f"http://{host}:{sock.getsockname()[1]}", server, thread)


def serve_forever(app: Any, limits: ReceiverLimits, host: str, port: int) -> None:
    """Serve `app` in the foreground until interrupted (`mfg-sync webhooks serve`)."""
    uvicorn.Server(receiver_config(app, limits, host, port, log_level="info")).run()
