"""Fixtures for the EAM sandbox tests: a served Maximo-shaped app, an apikey client, a local event receiver."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.eam import EAMSettings, create_app
from sandbox.server import serving

APIKEY = "sandbox-eam-apikey"
WO = "/maximo/api/os/mxapiwodetail"
WO_SELECT = "wonum,siteid,status,wpmaterial{*},invreserve{*},matusetrans{*}"


def href_id(*keys: str) -> str:
    return "_" + base64.b64encode("/".join(keys).encode()).decode().replace("=", "-")


def wo_path(wonum: str, site: str = "P1000") -> str:
    return f"{WO}/{href_id(site, wonum)}"


@contextmanager
def running_eam(**settings) -> Iterator[tuple[object, httpx.Client]]:
    """Serve an EAM sandbox (in memory) and yield (app, client sending the apikey)."""
    app = create_app(EAMSettings(**settings))
    with serving(app) as base_url, httpx.Client(base_url=base_url, headers={"apikey": APIKEY}, timeout=10) as client:
        yield app, client


@pytest.fixture
def eam() -> Iterator[tuple[object, httpx.Client]]:
    """A fresh EAM per test (tests here write)."""
    with running_eam(publish_retry_delays_s=(0.05, 0.1)) as served:
        yield served


def first_wo(client: httpx.Client, status: str) -> dict:
    """The lowest-numbered seeded work order in a status, with its children."""
    members = client.get(
        WO,
        params={
            "lean": 1,
            "oslc.select": WO_SELECT,
            "oslc.where": f'status="{status}"',
            "oslc.orderBy": "+wonum",
            "oslc.pageSize": 1,
        },
    ).json()["member"]
    assert members, f"seed has no work order in {status}"
    return members[0]


def balance(client: httpx.Client, itemnum: str, location: str) -> float:
    members = client.get(
        "/maximo/api/os/mxapiinvbal",
        params={"lean": 1, "oslc.select": "curbal", "oslc.where": f'itemnum="{itemnum}" and location="{location}"'},
    ).json()
    return sum(m["curbal"] for m in members["member"])


def wait_for(predicate, timeout: float = 30.0) -> None:
    """Poll until predicate() holds (deliveries run in the background; the bound leaves room for a loaded machine)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@dataclass
class Receiver:
    """A local publish-channel endpoint that answers `fail_first` requests with 500, then 204."""

    fail_first: int = 0
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    async def endpoint(self, request: Request) -> Response:
        self.received.append((await request.body(), dict(request.headers)))
        return Response(status_code=500 if len(self.received) <= self.fail_first else 204)


@contextmanager
def event_receiver(fail_first: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(fail_first=fail_first)
    app = Starlette(routes=[Route("/hooks/eam", receiver.endpoint, methods=["POST"])])
    with serving(app) as base_url:
        receiver.url = f"{base_url}/hooks/eam"
        yield receiver
