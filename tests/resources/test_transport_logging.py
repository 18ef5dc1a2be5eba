"""Correlation ids reach the server and the logs; no secret reaches any log line."""

from __future__ import annotations

import logging

import httpx

from resources.transport import (
    ApiClient,
    ApiKeyHeader,
    BasicAuth,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    SessionLogin,
)
from tests.resources.transport_fixtures import Server, fast_policy, server_fixture  # noqa: F401


def test_correlation_id_header_arrives_and_log_lines_carry_it(server: Server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with ApiClient("plm", server.base_url, correlation_id="run-1234", policy=fast_policy()) as client:
        client.get("/api/items")
        client.get("/api/items", correlation_id="override-77")
    first, second = server.state.hits
    assert first.headers["x-correlation-id"] == "run-1234"
    assert second.headers["x-correlation-id"] == "override-77"
    ours = [r for r in caplog.records if r.name == "resources.transport"]
    assert ours and all("run-1234" in r.getMessage() or "override-77" in r.getMessage() for r in ours)
    httpx_lines = [r for r in caplog.records if r.name == "httpx"]
    assert [r.correlation_id for r in httpx_lines] == ["run-1234", "override-77"]


def test_correlation_header_name_is_configurable(server: Server) -> None:
    from dataclasses import replace

    policy = replace(fast_policy(), correlation_header="X-Run-Id")
    with ApiClient("plm", server.base_url, correlation_id="run-9", policy=policy) as client:
        client.get("/api/items")
    assert server.state.hits[0].headers["x-run-id"] == "run-9"


def _login(password: str):
    def login(http: httpx.Client) -> tuple[str, str]:
        return "arena_session_id", http.post("/v1/login", json={"password": password}).json()["arenaSessionId"]

    return login


def test_no_secret_appears_in_any_log_line(server: Server, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # root: captures httpx, httpcore, authlib and ours
    s = server.state
    s.auth_mode, s.csrf_required = "bearer", False
    token_url = f"{server.base_url}/oauth/token"
    seen_tokens: list[str] = []
    with ApiClient(
        "erp",
        server.base_url,
        policy=fast_policy(),
        auth=OAuth2ClientCredentials(token_url, s.client_id, s.client_secret),
    ) as client:
        client.get("/api/materials", params={"api_key": "qp-KEY-42a7", "plant": "1000"})
        client.post("/api/materials", json={"Material": "M-1", "password": "in-body-secret-99"})
        seen_tokens += list(s.tokens)
        s.revoke_all()  # a 401 -> refresh path is logged too
        client.get("/api/materials")
        seen_tokens += list(s.tokens)
    rt = s.issue_refresh_token()
    with ApiClient(
        "erp",
        server.base_url,
        policy=fast_policy(),
        auth=OAuth2RefreshToken(token_url, s.client_id, s.client_secret, rt),
    ) as client:
        client.get("/api/materials")
        seen_tokens += list(s.tokens) + list(s.refresh_tokens)
    s.auth_mode = "session"
    with ApiClient("plm", server.base_url, policy=fast_policy(), auth=SessionLogin(_login(s.login_password))) as client:
        client.get("/api/items")
        sessions = list(s.sessions)
    s.auth_mode = "basic"
    with ApiClient("erp", server.base_url, auth=BasicAuth(s.basic_user, s.basic_password)) as client:
        client.get("/api/x")
    s.auth_mode = "apikey"
    with ApiClient("eam", server.base_url, auth=ApiKeyHeader(s.api_key_header, s.api_key)) as client:
        client.get("/api/x")
    # a secret response cookie logged by httpcore at DEBUG; a password in the URL's userinfo
    s.auth_mode, s.csrf_required = None, True
    with ApiClient("erp", server.base_url.replace("http://", "http://u:url-pass-777@")) as client:
        client.get("/api/x", headers={"X-CSRF-Token": "Fetch"})
        cookie = client.http.cookies["SAP_SESSIONID_TST"]

    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP Request" in text and "receive_response_headers" in text  # httpx and httpcore were captured
    secrets = [
        s.client_secret,
        s.basic_password,
        s.api_key,
        s.login_password,
        "qp-KEY-42a7",
        "url-pass-777",
        "in-body-secret-99",
        rt,
        cookie,
        *s.csrf_tokens,
        *seen_tokens,
        *sessions,
    ]
    leaked = [secret for secret in secrets if secret in text]
    assert leaked == []
    assert "***" in text
