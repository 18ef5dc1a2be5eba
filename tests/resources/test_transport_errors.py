"""Typed errors carry the system's own code, message and request id."""

from __future__ import annotations

from dataclasses import replace

import pytest

from resources.transport import (
    ApiClient,
    ConflictError,
    FatalError,
    NotFoundError,
    PreconditionFailedError,
    ValidationError,
)
from tests.resources.flaky_app import Scripted
from tests.resources.transport_fixtures import Server, fast_policy, server_fixture  # noqa: F401


def test_400_carries_system_code_message_and_request_id(server: Server) -> None:
    body = {"status": 400, "errors": [{"code": 3030, "message": "Item number already in use"}]}
    server.state.script("/api/items", Scripted(400, headers={"x-request-id": "req-abc"}, body=body))
    with ApiClient("plm", server.base_url, policy=fast_policy()) as client, pytest.raises(ValidationError) as caught:
        client.post("/api/items", json={"number": "100-001"}, route="/v1/items")
    err = caught.value
    assert (err.status, err.code, err.message, err.request_id) == (400, "3030", "Item number already in use", "req-abc")
    assert (err.system, err.method, err.route, err.retryable) == ("plm", "POST", "/v1/items", False)
    assert "3030" in str(err) and "req-abc" in str(err)


def test_sap_odata_error_body_and_request_id_header(server: Server) -> None:
    body = {"error": {"code": "API_PRODUCT/012", "message": {"lang": "en", "value": "Material type unknown"}}}
    server.state.script("/api/A_Product", Scripted(422, headers={"sap-request-id": "sap-1"}, body=body))
    policy = replace(fast_policy(), request_id_headers=("sap-request-id",))
    with ApiClient("erp", server.base_url, policy=policy) as client, pytest.raises(ValidationError) as caught:
        client.post("/api/A_Product", json={})
    assert (caught.value.code, caught.value.message) == ("API_PRODUCT/012", "Material type unknown")
    assert caught.value.request_id == "sap-1"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (404, NotFoundError),
        (409, ConflictError),
        (412, PreconditionFailedError),
        (428, PreconditionFailedError),
    ],
)
def test_status_maps_to_typed_fatal_error_without_retry(server: Server, status: int, error_type: type) -> None:
    server.state.script("/api/boms/7", Scripted(status, body="plain text reason"))
    with ApiClient("erp", server.base_url, policy=fast_policy()) as client, pytest.raises(error_type) as caught:
        client.put("/api/boms/7", json={}, route="/api/boms/{id}")
    assert isinstance(caught.value, FatalError) and caught.value.status == status
    assert caught.value.message == "plain text reason"
    assert len(server.state.hits_for("/api/boms/7")) == 1


def test_custom_error_parser_is_used(server: Server) -> None:
    server.state.script("/api/wo", Scripted(409, body={"fault": {"id": "WO-LOCKED", "text": "locked by planner"}}))

    def eam_parser(response):
        fault = response.json()["fault"]
        return fault["id"], fault["text"]

    with (
        ApiClient("eam", server.base_url, policy=fast_policy(), error_parser=eam_parser) as client,
        pytest.raises(ConflictError) as caught,
    ):
        client.put("/api/wo")
    assert (caught.value.code, caught.value.message) == ("WO-LOCKED", "locked by planner")


def test_accepted_status_is_returned_not_raised(server: Server) -> None:
    server.state.script("/api/items/9", 404)
    with ApiClient("plm", server.base_url, policy=fast_policy()) as client:
        assert client.get("/api/items/9", accept_statuses={404}).status_code == 404
