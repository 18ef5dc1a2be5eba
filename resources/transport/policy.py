"""The per-system HTTP policy: timeouts, pool limits, retries, rate limits and header names.

One frozen `TransportPolicy` per outside system; the system's Dagster resource builds it from its config.
Every limit is a plain number so it can live in YAML, env vars or resource config.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal


def _require_positive(owner: object, *, allow_zero: bool = False) -> None:
    """Fail fast, naming the policy and field, on a negative (or zero) limit."""
    for f in fields(owner):  # type: ignore[arg-type]
        value = getattr(owner, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if value < 0 or (value == 0 and not allow_zero):
            raise ValueError(f"{type(owner).__name__}.{f.name} must be > 0, got {value!r}")


@dataclass(frozen=True)
class Timeouts:
    """httpx timeouts in seconds: connect, read (per chunk), write (per chunk), pool (wait for a connection)."""

    connect_s: float = 5.0
    read_s: float = 30.0
    write_s: float = 30.0
    pool_s: float = 10.0

    def __post_init__(self) -> None:
        _require_positive(self)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry (see retry.py): transient failures are retried until `total_budget_s` is
    spent, with full-jitter exponential backoff capped at `backoff_max_s`; `max_attempts` (None: no limit,
    the budget decides) bounds the attempts only when set, and a Retry-After answer does not spend one."""

    max_attempts: int | None = None
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    total_budget_s: float = 120.0
    retry_after_cap_s: float = 60.0
    # 500 is retried for safe reads only: an erroring write may or may not have happened.
    retry_statuses: tuple[int, ...] = (429, 502, 503, 504)
    read_retry_statuses: tuple[int, ...] = (500,)

    def __post_init__(self) -> None:
        _require_positive(self)


@dataclass(frozen=True)
class RateLimit:
    """Client-side token bucket: `requests` per `period_s`, bursts of up to `burst` (default `requests`)."""

    requests: int = 10
    period_s: float = 1.0
    burst: int | None = None

    def __post_init__(self) -> None:
        _require_positive(self)


@dataclass(frozen=True)
class QuotaHeaders:
    """The system's remaining-quota headers. `reset_kind`: seconds until reset, epoch seconds, or auto-detect."""

    remaining: str = "X-RateLimit-Remaining"
    reset: str = "X-RateLimit-Reset"
    reset_kind: Literal["delta", "epoch", "auto"] = "auto"
    max_pause_s: float = 60.0

    def __post_init__(self) -> None:
        if self.reset_kind not in ("delta", "epoch", "auto"):
            raise ValueError(f"QuotaHeaders.reset_kind must be delta|epoch|auto, got {self.reset_kind!r}")
        _require_positive(self)


@dataclass(frozen=True)
class TransportPolicy:
    """Everything one outside system's client needs to know about talking HTTP politely."""

    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limit: RateLimit | None = None
    quota: QuotaHeaders | None = None
    max_connections: int = 10
    max_keepalive_connections: int = 5
    keepalive_expiry_s: float = 30.0
    correlation_header: str = "X-Correlation-ID"
    request_id_headers: tuple[str, ...] = ("x-request-id", "sap-request-id", "x-correlation-id")
    # Extra header names this system uses for secrets (beyond the built-in list in redact.py).
    secret_headers: tuple[str, ...] = ()
    user_agent: str = "mfg-sync/0.1"
    verify_tls: bool = True

    def __post_init__(self) -> None:
        _require_positive(self)
        if not self.correlation_header.strip():
            raise ValueError("TransportPolicy.correlation_header must not be empty")
