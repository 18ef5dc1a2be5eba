"""Log redaction masks secret values, never ordinary words that merely sit next to an auth scheme's name."""

from __future__ import annotations

import logging

import pytest

from resources.transport import ApiClient, AuthError, OAuth2ClientCredentials, register_secret, scrub
from tests.resources.transport_fixtures import Server, fast_policy, server_fixture  # noqa: F401


@pytest.mark.parametrize(
    "words",
    [
        "erp: POST token endpoint failed, HTTP 401: token endpoint refused",
        "provide a bearer token or valid Basic credentials",
        "Token expired; Bearer authentication required",
        "the basic authentication scheme of the Digest standard",
        "could not reach the token endpoint.",
        "Basic well-known credentials",
    ],
)
def test_ordinary_words_after_an_auth_scheme_stay_readable(words):
    assert scrub(words) == words


@pytest.mark.parametrize(
    "line, secret",
    [
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        ),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("Authorization: bearer at-Zq81xLmPq0aa", "at-Zq81xLmPq0aa"),
        ("GET /v1/items?access_token=abc123xyz&limit=5", "abc123xyz"),
        ("GET /v1/items?api_key=plainletters", "plainletters"),
    ],
)
def test_real_secret_values_are_masked(line, secret):
    masked = scrub(line)
    assert secret not in masked and "***" in masked


def test_a_registered_secret_is_masked_even_when_it_looks_like_a_word():
    register_secret("correcthorsebatterystaple")
    assert scrub("login with correcthorsebatterystaple failed") == "login with *** failed"


def test_a_refused_token_request_is_logged_in_plain_words(server: Server, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="resources.transport")
    server.state.refuse_tokens = True
    auth = OAuth2ClientCredentials(f"{server.base_url}/oauth/token", "mfg-sync", server.state.client_secret)
    with ApiClient("erp", server.base_url, policy=fast_policy(), auth=auth) as client, pytest.raises(AuthError):
        client.get("/api/materials")
    [line] = [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
    assert "POST token endpoint failed" in line and "token endpoint refused" in line
    assert server.state.client_secret not in line
