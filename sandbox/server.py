"""Serve ASGI apps on loopback: in a background thread (tests) or in the foreground (`sandbox up`)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Bind first, serve later: port 0 picks a free port with no race between choosing and binding."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _config(app, log_level: str, backlog: int = 2048) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_level=log_level, lifespan="on", access_log=False, timeout_keep_alive=30, backlog=backlog
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
    app, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning", backlog: int = 2048
) -> RunningServer:
    """Start `app` in a daemon thread and return once it accepts connections.

    The listen backlog is large so that bursts of concurrent clients queue instead of being refused.
    """
    sock = bind_socket(host, port)
    sock.listen(backlog)
    server = uvicorn.Server(_config(app, log_level, backlog))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # not the main thread
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server for {app!r} did not start on {host}:{sock.getsockname()[1]}")
        time.sleep(0.01)
    return RunningServer(f"http://{host}:{sock.getsockname()[1]}", server, thread)


@contextmanager
def serving(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """`with serving(app) as base_url:` - the app answers real HTTP on loopback inside the block."""
    running = start_in_thread(app, host, port)
    try:
        yield running.base_url
    finally:
        running.stop()


def serve_forever(apps: Sequence[tuple[object, str, int]], log_level: str = "info") -> None:
    """Serve several apps from one process until interrupted: [(app, host, port), ...]."""

    async def _main() -> None:
        servers = []
        for app, host, port in apps:
            sock = bind_socket(host, port)
            servers.append(uvicorn.Server(_config(app, log_level)).serve(sockets=[sock]))
        await asyncio.gather(*servers)

    asyncio.run(_main())
