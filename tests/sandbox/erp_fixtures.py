"""Fixtures for the ERP sandbox tests: a served app and a client that speaks SAP's OAuth + CSRF dance."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from sandbox.erp import ERPSettings, create_app
from sandbox.server import serving

PRODUCT_SRV = "/sap/opu/odata/sap/API_PRODUCT_SRV"
BOM_SRV = "/sap/opu/odata/sap/API_BILL_OF_MATERIAL_SRV;v=0002"
TOKEN_URL = "/sap/bc/sec/oauth2/token"
SETTINGS = ERPSettings()
CLIENT_AUTH = (SETTINGS.client_id, SETTINGS.client_secret)
BASIC_AUTH = (SETTINGS.username, SETTINGS.password)
PRELOADED = "PRT-200069"  # first purchased part of the demo catalog, seed 7


class ERPClient(httpx.Client):
    """httpx client that holds a bearer token, a CSRF token and the session cookie it belongs to."""

    def login(self) -> str:
        response = self.post(TOKEN_URL, data={"grant_type": "client_credentials"}, auth=CLIENT_AUTH)
        response.raise_for_status()
        self.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        return response.json()["access_token"]

    def fetch_csrf(self, service: str = PRODUCT_SRV) -> str:
        response = self.get(f"{service}/", headers={"X-CSRF-Token": "Fetch"})
        response.raise_for_status()
        self.headers["X-CSRF-Token"] = response.headers["X-CSRF-Token"]
        return response.headers["X-CSRF-Token"]

    def product(self, number: str, **params: str) -> httpx.Response:
        return self.get(f"{PRODUCT_SRV}/A_Product('{number}')", params=params)

    def create_product(
        self,
        number: str,
        *,
        unit: str = "EA",
        product_type: str = "HALB",
        description: str = "Test part",
        plant: bool = True,
        **fields: Any,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "Product": number,
            "ProductType": product_type,
            "BaseUnit": unit,
            **fields,
            "to_Description": [{"Language": "EN", "ProductDescription": description}],
        }
        if plant:
            body["to_Plant"] = [{"Plant": "1000", "ProcurementType": "E"}]
        return self.post(f"{PRODUCT_SRV}/A_Product", json=body)

    def collection(self, path: str, **params: str) -> dict:
        response = self.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()["d"]

    def stats(self) -> dict:
        return self.get("/_sandbox/stats").json()


@contextmanager
def running_erp(**settings: Any) -> Iterator[tuple[Any, ERPClient]]:
    """Serve an ERP sandbox (in-memory unless db_path is given); yield (app, logged-in client with CSRF)."""
    app = create_app(ERPSettings(**{"rate_limit": None, **settings}))
    with serving(app) as base_url, ERPClient(base_url=base_url, timeout=10) as client:
        client.login()
        client.fetch_csrf()
        yield app, client


@pytest.fixture(scope="module")
def erp_server() -> Iterator[tuple[Any, str]]:
    """One served ERP per test module (starting a server costs more than most tests)."""
    app = create_app(ERPSettings(rate_limit=None))
    with serving(app) as base_url:
        yield app, base_url


@pytest.fixture
def erp(erp_server) -> Iterator[tuple[Any, ERPClient]]:
    """A freshly reseeded ERP (POST /_sandbox/reset) and a logged-in client holding a CSRF token."""
    app, base_url = erp_server
    with ERPClient(base_url=base_url, timeout=10) as client:
        client.post("/_sandbox/reset").raise_for_status()
        client.login()
        client.fetch_csrf()
        yield app, client


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def batch_request(parts: list[Any]) -> tuple[str, str]:
    """(content type, body) of a $batch: a part is (method, url[, json[, content id]]) or a list of those
    (a change set)."""
    boundary = f"batch_{uuid.uuid4().hex[:8]}"
    chunks = []
    for part in parts:
        if isinstance(part, list):
            cs = f"changeset_{uuid.uuid4().hex[:8]}"
            inner = "".join(f"--{cs}\r\n{_operation(*op)}\r\n" for op in part) + f"--{cs}--\r\n"
            chunks.append(f"Content-Type: multipart/mixed; boundary={cs}\r\n\r\n{inner}")
        else:
            chunks.append(_operation(*part))
    body = "".join(f"--{boundary}\r\n{c}\r\n" for c in chunks) + f"--{boundary}--\r\n"
    return f"multipart/mixed; boundary={boundary}", body


def _operation(method: str, url: str, payload: dict | None = None, content_id: str | None = None) -> str:
    cid = f"Content-ID: {content_id}\r\n" if content_id else ""
    head = (
        f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n{cid}\r\n{method} {url} HTTP/1.1\r\n"
    )
    if payload is None:
        return head + "Accept: application/json\r\n\r\n"
    data = json.dumps(payload)
    return head + f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n{data}"


def batch_statuses(response: httpx.Response) -> list[int]:
    """The HTTP status lines inside a $batch response, in order."""
    return [int(line.split(" ")[1]) for line in response.text.splitlines() if line.startswith("HTTP/1.1 ")]
