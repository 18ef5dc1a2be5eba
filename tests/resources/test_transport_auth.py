"""Auth strategies: OAuth2 (client credentials, refresh token) via authlib, session login, basic, API key,
and a SAP-style CSRF hook built on the generic RequestHook protocol."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from resources.transport import (
    ApiClient,
    ApiKeyHeader,
    AuthError,
    BasicAuth,
    HookBase,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    SessionLogin,
    register_secret,
)
from tests.resources.transport_fixtures import Server, fast_policy, server_fixture  # noqa: F401


def _cc(server: Server, leeway_s: float = 0) -> OAuth2ClientCredentials:
    s = server.state
    return OAuth2ClientCredentials(f"{server.base_url}/oauth/token", s.client_id, s.client_secret, leeway_s=leeway_s)


def _bearer_hits(server: Server) -> list[str]:
    return [h.headers["authorization"] for h in server.state.hits]


def test_client_credentials_token_is_reused_while_valid(server: Server) -> None:
    server.state.auth_mode = "bearer"
    with ApiClient("erp", server.base_url, policy=fast_policy(), auth=_cc(server)) as client:
        for _ in range(3):
            client.get("/api/materials")
        assert client.metrics.snapshot()["events"] == {"token_fetch": 1}
    assert len(set(_bearer_hits(server))) == 1
    assert server.state.token_requests[0]["grant_type"] == "client_credentials"


def test_token_expiring_mid_run_is_renewed_transparently(server: Server) -> None:
    server.state.auth_mode, server.state.token_ttl_s = "bearer", 1
    with ApiClient("erp", server.base_url, policy=fast_policy(), auth=_cc(server)) as client:
        client.get("/api/materials")
        time.sleep(1.1)  # let the server-side token expire
        client.get("/api/materials")
        snap = client.metrics.snapshot()
    assert len(set(_bearer_hits(server))) == 2
    assert snap["status"] == {"200": 2}  # renewed before sending, never rejected


def test_401_triggers_one_token_refresh_and_resend(server: Server) -> None:
    server.state.auth_mode = "bearer"
    with ApiClient("erp", server.base_url, policy=fast_policy(), auth=_cc(server)) as client:
        client.get("/api/materials")
        server.state.revoke_all()
        assert client.get("/api/materials").status_code == 200
        snap = client.metrics.snapshot()
    assert snap["events"]["token_fetch"] == 2 and snap["resends"] == 1
    assert snap["status"] == {"200": 2, "401": 1}


def test_second_401_after_refresh_is_auth_error(server: Server) -> None:
    server.state.auth_mode = "bearer"
    server.state.script("/api/materials", 401, 401)
    with (
        ApiClient("erp", server.base_url, policy=fast_policy(), auth=_cc(server)) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get("/api/materials")
    assert caught.value.status == 401 and not caught.value.retryable
    assert len(server.state.hits_for("/api/materials")) == 2


def test_token_endpoint_refusing_gives_auth_error(server: Server) -> None:
    server.state.auth_mode, server.state.refuse_tokens = "bearer", True
    with (
        ApiClient("erp", server.base_url, policy=fast_policy(), auth=_cc(server)) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get("/api/materials")
    assert caught.value.code == "invalid_client"
    assert server.state.hits == []  # nothing was sent without a token


def test_refresh_token_grant_works_and_follows_rotation(server: Server) -> None:
    s = server.state
    s.auth_mode, s.token_ttl_s = "bearer", 1
    first_refresh = s.issue_refresh_token()
    auth = OAuth2RefreshToken(f"{server.base_url}/oauth/token", s.client_id, s.client_secret, first_refresh, leeway_s=0)
    with ApiClient("erp", server.base_url, policy=fast_policy(), auth=auth) as client:
        client.get("/api/materials")
        time.sleep(1.1)
        client.get("/api/materials")
    grants = [(r["grant_type"], r["refresh_token"]) for r in s.token_requests]
    assert grants[0] == ("refresh_token", first_refresh)
    assert grants[1][0] == "refresh_token" and grants[1][1] != first_refresh  # the rotated one
    assert len(set(_bearer_hits(server))) == 2


def test_concurrent_threads_share_one_token_fetch(server: Server) -> None:
    server.state.auth_mode = "bearer"
    with ApiClient("erp", server.base_url, policy=fast_policy(), auth=_cc(server)) as client:
        threads = [threading.Thread(target=client.get, args=("/api/materials",)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert client.metrics.snapshot()["events"] == {"token_fetch": 1}
    assert len(server.state.hits) == 6


def _arena_login(password: str):
    def login(http: httpx.Client) -> tuple[str, str]:
        resp = http.post("/v1/login", json={"email": "sync@example.com", "password": password})
        resp.raise_for_status()
        return "arena_session_id", resp.json()["arenaSessionId"]

    return login


def _arena_logout(http: httpx.Client, headers: dict[str, str]) -> None:
    http.put("/v1/logout", headers=headers).raise_for_status()


def test_session_login_is_lazy_relogs_on_401_and_logs_out_on_close(server: Server) -> None:
    s = server.state
    s.auth_mode = "session"
    client = ApiClient(
        "plm", server.base_url, policy=fast_policy(), auth=SessionLogin(_arena_login(s.login_password), _arena_logout)
    )
    assert s.logins == 0  # lazy
    client.get("/api/items")
    client.get("/api/items")
    assert s.logins == 1
    s.revoke_all()  # the session expires server-side
    assert client.get("/api/items").status_code == 200
    assert s.logins == 2
    client.close()
    assert s.logouts == 1 and s.sessions == set()


def test_session_login_refused_is_auth_error(server: Server) -> None:
    server.state.auth_mode = "session"
    with (
        ApiClient(
            "plm", server.base_url, policy=fast_policy(), auth=SessionLogin(_arena_login("wrong-password"))
        ) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get("/api/items")
    assert caught.value.status == 401


def test_basic_auth_and_api_key_are_sent(server: Server) -> None:
    s = server.state
    s.auth_mode = "basic"
    with ApiClient("erp", server.base_url, auth=BasicAuth(s.basic_user, s.basic_password)) as client:
        assert client.get("/api/x").status_code == 200
    s.auth_mode = "apikey"
    with ApiClient("eam", server.base_url, auth=ApiKeyHeader(s.api_key_header, s.api_key)) as client:
        assert client.get("/api/x").status_code == 200
    with (
        ApiClient("eam", server.base_url, auth=ApiKeyHeader(s.api_key_header, "wrong-key")) as client,
        pytest.raises(AuthError),
    ):
        client.get("/api/x")


class SapCsrf(HookBase):
    """The docstring example from auth.py, exercised for real."""

    def __init__(self, fetch_path: str) -> None:
        self._lock, self._token, self._fetch_path = threading.Lock(), None, fetch_path
        self.fetches = 0

    def _fetch(self, client: ApiClient) -> str:
        resp = client.send_once("GET", self._fetch_path, headers={"X-CSRF-Token": "Fetch"})
        self.fetches += 1
        token = resp.headers["X-CSRF-Token"]
        register_secret(token)
        return token

    def before_send(self, client: ApiClient, request: httpx.Request) -> None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        with self._lock:
            self._token = self._token or self._fetch(client)
            request.headers["X-CSRF-Token"] = self._token

    def after_response(self, client: ApiClient, request: httpx.Request, response: httpx.Response) -> bool:
        if response.status_code == 403 and response.headers.get("X-CSRF-Token", "").lower() == "required":
            with self._lock:
                if self._token == request.headers.get("X-CSRF-Token"):
                    self._token = None
            return True
        return False


def test_csrf_hook_fetches_token_keeps_cookie_and_refetches_once_on_403(server: Server) -> None:
    s = server.state
    s.auth_mode, s.csrf_required = "basic", True
    csrf = SapCsrf("/api/sap/opu/odata/sap/API_PRODUCT_SRV/")
    with ApiClient("erp", server.base_url, auth=BasicAuth(s.basic_user, s.basic_password), hooks=[csrf]) as client:
        client.post("/api/sap/opu/odata/sap/API_PRODUCT_SRV/A_Product", json={"Product": "P-1"})
        assert "SAP_SESSIONID_TST" in client.http.cookies
        s.csrf_tokens.clear()  # the server forgets the token (session timeout)
        client.post("/api/sap/opu/odata/sap/API_PRODUCT_SRV/A_Product", json={"Product": "P-2"})
        assert client.metrics.snapshot()["resends"] == 1
    assert csrf.fetches == 2
    fetch = s.hits_for("/api/sap/opu/odata/sap/API_PRODUCT_SRV/")[0]
    assert fetch.headers["authorization"].startswith("Basic ")  # the fetch itself is authenticated
