"""The sandbox ERP guards its OData services like S/4HANA: OAuth client credentials, Basic, CSRF tokens."""

from __future__ import annotations

import httpx

try:
    from tests.sandbox.erp_fixtures import (  # noqa: F401
        BASIC_AUTH,
        CLIENT_AUTH,
        PRODUCT_SRV,
        TOKEN_URL,
        ERPClient,
        erp,
        erp_server,
        error_code,
    )
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from erp_fixtures import (  # noqa: F401
        BASIC_AUTH,
        CLIENT_AUTH,
        PRODUCT_SRV,
        TOKEN_URL,
        ERPClient,
        erp,
        erp_server,
        error_code,
    )


def test_client_credentials_by_basic_header_return_a_bearer_token(erp):
    _, client = erp
    response = httpx.post(f"{client.base_url}{TOKEN_URL}", data={"grant_type": "client_credentials"}, auth=CLIENT_AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["access_token"]


def test_client_credentials_as_form_fields_are_accepted(erp):
    _, client = erp
    response = httpx.post(
        f"{client.base_url}{TOKEN_URL}",
        data={"grant_type": "client_credentials", "client_id": CLIENT_AUTH[0], "client_secret": CLIENT_AUTH[1]},
    )
    assert response.status_code == 200


def test_wrong_client_secret_is_invalid_client(erp):
    _, client = erp
    response = httpx.post(
        f"{client.base_url}{TOKEN_URL}", data={"grant_type": "client_credentials"}, auth=(CLIENT_AUTH[0], "wrong")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_other_grant_types_are_refused(erp):
    _, client = erp
    response = httpx.post(f"{client.base_url}{TOKEN_URL}", data={"grant_type": "password"}, auth=CLIENT_AUTH)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_expired_token_gets_401_and_a_new_token_works(erp):
    _, client = erp
    client.login()
    client.post("/_sandbox/expire", json={"credentials": "oauth_tokens"}).raise_for_status()
    expired = client.get(f"{PRODUCT_SRV}/A_Product")
    assert expired.status_code == 401
    assert "invalid_token" in expired.headers["WWW-Authenticate"]
    client.login()
    assert client.get(f"{PRODUCT_SRV}/A_Product").status_code == 200


def test_unknown_bearer_token_is_401_with_odata_error(erp):
    _, client = erp
    response = httpx.get(f"{client.base_url}{PRODUCT_SRV}/A_Product", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert error_code(response) == "/IWFND/CM_CONSUMER/101"


def test_basic_auth_user_can_read(erp):
    _, client = erp
    response = httpx.get(f"{client.base_url}{PRODUCT_SRV}/A_Product", auth=BASIC_AUTH)
    assert response.status_code == 200
    assert response.json()["d"]["results"]


def test_request_without_credentials_is_401_with_basic_challenge(erp):
    _, client = erp
    response = httpx.get(f"{client.base_url}{PRODUCT_SRV}/A_Product")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_write_without_csrf_token_is_refused_then_succeeds_after_fetch(erp):
    _, client = erp
    with ERPClient(base_url=client.base_url, auth=BASIC_AUTH) as fresh:
        refused = fresh.create_product("CSRF-1")
        assert refused.status_code == 403
        assert refused.headers["X-CSRF-Token"] == "Required"
        assert fresh.product("CSRF-1").status_code == 404
        fresh.fetch_csrf()
        assert fresh.create_product("CSRF-1").status_code == 201


def test_csrf_token_without_its_session_cookie_is_refused(erp):
    _, client = erp
    token = client.headers["X-CSRF-Token"]
    with ERPClient(base_url=client.base_url, auth=BASIC_AUTH, headers={"X-CSRF-Token": token}) as other:
        assert other.create_product("CSRF-2").status_code == 403


def test_csrf_token_expires(erp):
    _, client = erp
    client.fetch_csrf()
    client.post("/_sandbox/expire", json={"credentials": "csrf_tokens"}).raise_for_status()
    assert client.create_product("CSRF-3").status_code == 403
    client.fetch_csrf()
    assert client.create_product("CSRF-3").status_code == 201
