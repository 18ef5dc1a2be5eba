"""Fixtures for the PLM sandbox tests: a served app, a logged-in client, a local webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.plm import PLMSettings, create_app
from sandbox.server import serving

LOGIN = {"email": "engineer@sandbox.example", "password": "sandbox", "workspaceId": 100001}


class PLMClient(httpx.Client):
    """An httpx client that logs in the Arena way and sends arena_session_id on every call."""

    def login(self) -> str:
        response = self.post("/v1/login", json=LOGIN)
        response.raise_for_status()
        self.headers["arena_session_id"] = response.json()["arenaSessionId"]
        return self.headers["arena_session_id"]

    def item(self, number: str) -> dict:
        results = self.get("/v1/items", params={"number": number}).json()["results"]
        assert len(results) == 1, f"expected one item {number}, got {results}"
        return results[0]


@contextmanager
def running_plm(**settings) -> Iterator[tuple[object, PLMClient]]:
    """Serve a PLM sandbox (in-memory unless db_path is given) and yield (app, logged-in client)."""
    app = create_app(PLMSettings(**{"rate_limit": None, **settings}))
    with serving(app) as base_url, PLMClient(base_url=base_url, timeout=10) as client:
        client.login()
        yield app, client


@pytest.fixture(scope="module")
def plm_shared() -> Iterator[tuple[object, PLMClient]]:
    """One read-only PLM for the tests of a module (they must not write)."""
    with running_plm() as served:
        yield served


@pytest.fixture
def plm() -> Iterator[tuple[object, PLMClient]]:
    """A fresh PLM per test, for tests that write or change settings."""
    with running_plm(webhook_retry_delays_s=(0.05, 0.1)) as served:
        yield served


@dataclass
class Receiver:
    """A local webhook receiver that answers `fail_first` requests with 500, then 204."""

    fail_first: int = 0
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    url: str = ""

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        self.received.append((body, dict(request.headers)))
        status = 500 if len(self.received) <= self.fail_first else 204
        self.answered.append(status)
        return Response(status_code=status)


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(fail_first=fail_first)
    app = Starlette(routes=[Route("/hooks/plm", receiver.endpoint, methods=["POST"])])
    with serving(app) as base_url:
        receiver.url = f"{base_url}/hooks/plm"
        yield receiver
