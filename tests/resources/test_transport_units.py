"""Pure pieces of the transport: redaction, Retry-After parsing, policy validation, bucket, metrics."""

from __future__ import annotations

import logging
from email.utils import formatdate

import pytest

from resources.transport import (
    RateLimit,
    RetryPolicy,
    SecretFilter,
    Timeouts,
    TransportMetrics,
    redact_headers,
    redact_mapping,
    redact_url,
    register_secret,
)
from resources.transport.ratelimit import TokenBucket, parse_retry_after


def test_redact_headers_masks_secret_headers_and_keeps_the_rest() -> None:
    headers = {
        "Authorization": "Bearer abc.def",
        "Cookie": "a=b",
        "arena_session_id": "s-1",
        "X-CSRF-Token": "t",
        "X-API-Key": "k",
        "Accept": "application/json",
        "X-Tenant-Secret": "z",
    }
    out = redact_headers(headers)
    assert out["Accept"] == "application/json"
    assert {k for k, v in out.items() if v == "***"} == set(headers) - {"Accept"}


def test_redact_url_masks_userinfo_and_secret_query_params() -> None:
    url = "https://user:pw@plm.example.com/v1/items?access_token=T0K&plant=1000&apiKey=K3Y"
    out = redact_url(url)
    assert "pw" not in out and "T0K" not in out and "K3Y" not in out
    assert "plant=1000" in out and out.startswith("https://***@plm.example.com/v1/items?")


def test_redact_mapping_masks_secret_keys_at_any_depth() -> None:
    body = {"Material": "M-1", "auth": {"client_secret": "x", "password": "y"}, "items": [{"refresh_token": "z"}]}
    assert redact_mapping(body) == {
        "Material": "M-1",
        "auth": {"client_secret": "***", "password": "***"},
        "items": [{"refresh_token": "***"}],
    }


def test_secret_filter_scrubs_registered_values_from_args_and_exceptions() -> None:
    register_secret("hunter2-registered")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login with %s", ("hunter2-registered",), None)
    try:
        raise RuntimeError("boom hunter2-registered")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    SecretFilter().filter(record)
    assert record.getMessage() == "login with ***"
    assert "hunter2-registered" not in record.exc_text


@pytest.mark.parametrize(("header", "low", "high"), [("3", 3, 3), ("0", 0, 0), ("garbage", None, None)])
def test_retry_after_delta_seconds(header: str, low: float | None, high: float | None) -> None:
    value = parse_retry_after(header)
    assert value == low == high if low is None else low <= value <= high


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=lambda: now) == pytest.approx(30, abs=1)


def test_policy_rejects_nonpositive_limits_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"RetryPolicy.max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match=r"Timeouts.read_s"):
        Timeouts(read_s=-1)
    with pytest.raises(ValueError, match=r"RateLimit.period_s"):
        RateLimit(requests=5, period_s=0)


def test_token_bucket_spaces_calls_beyond_the_burst() -> None:
    now, slept = [0.0], []
    bucket = TokenBucket(RateLimit(requests=4, period_s=1.0, burst=2), clock=lambda: now[0], sleep=slept.append)
    waits = [bucket.acquire() for _ in range(4)]
    assert waits == [0.0, 0.0, 0.25, 0.5]  # reservations queue up at 4/s
    assert slept == [0.25, 0.5]


def test_metrics_snapshot_and_flat_are_plain_numbers_and_reset() -> None:
    m = TransportMetrics()
    m.record_attempt("GET", "/v1/items/{guid}", 200, 0.1, 10, 20)
    m.record_call("GET", "/v1/items/{guid}", 0.1, failed=False)
    flat = m.flat()
    assert flat["routes.GET /v1/items/{guid}.calls"] == 1 and flat["status.200"] == 1 and flat["bytes_received"] == 20
    m.reset()
    assert m.snapshot()["calls"] == 0 and m.snapshot()["routes"] == {}
