"""Client-side pacing: a token bucket shared by all threads of a client, and a gate that honours the
system's own remaining-quota headers. Both return the seconds they made the caller wait.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping

from .policy import QuotaHeaders, RateLimit

# A reset value above this is an epoch timestamp, below it a delta (auto mode): ~2001-09-09.
_EPOCH_THRESHOLD = 1_000_000_000


class TokenBucket:
    """`requests` per `period_s`; each caller reserves its slot under the lock and sleeps outside it,
    so concurrent threads are spaced evenly rather than stampeding when the bucket refills."""

    def __init__(
        self, limit: RateLimit, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.capacity = float(limit.burst or limit.requests)
        self.rate_per_s = limit.requests / limit.period_s
        self._tokens = self.capacity
        self._clock, self._sleep = clock, sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is available; returns seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate_per_s)
            self._updated = now
            self._tokens -= 1.0  # may go negative: a reservation the refill will pay back
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate_per_s
        if wait > 0:
            self._sleep(wait)
        return wait


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now())


class QuotaGate:
    """Pauses every thread of a client once the system reports zero remaining calls, until its reset."""

    def __init__(
        self,
        headers: QuotaHeaders,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.headers = headers
        self._clock, self._wall, self._sleep = clock, wall, sleep
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def observe(self, response_headers: Mapping[str, str]) -> float | None:
        """Read the quota headers of a response; returns the pause (s) it set, if any."""
        remaining = response_headers.get(self.headers.remaining)
        if remaining is None:
            return None
        try:
            if float(remaining) > 0:
                return None
        except ValueError:
            return None
        pause = self._reset_delay(response_headers.get(self.headers.reset))
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + pause)
        return pause

    def _reset_delay(self, raw: str | None) -> float:
        cap = self.headers.max_pause_s
        try:
            value = float(raw) if raw is not None else cap
        except ValueError:
            value = parse_retry_after(raw, self._wall)
            return min(cap, value if value is not None else cap)
        kind = self.headers.reset_kind
        if kind == "epoch" or (kind == "auto" and value > _EPOCH_THRESHOLD):
            value = value - self._wall()
        return min(cap, max(0.0, value))

    def wait(self) -> float:
        """Sleep while a pause is in force; returns seconds waited."""
        with self._lock:
            delay = self._paused_until - self._clock()
        if delay <= 0:
            return 0.0
        self._sleep(delay)
        return delay
