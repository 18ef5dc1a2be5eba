"""Per-client call metrics, thread-safe, readable as plain numbers at the end of an asset."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class TransportMetrics:
    """Counts calls by method+route template and status, retries, waits, bytes and time.

    `snapshot()` returns nested dicts of plain numbers; `flat()` the same as one level of
    dotted keys (handy for Dagster metadata).
    """

    _TOTALS = (
        "calls",
        "attempts",
        "retries",
        "resends",
        "errors",
        "bytes_sent",
        "bytes_received",
        "request_time_s",
        "rate_limit_wait_s",
        "quota_wait_s",
        "retry_wait_s",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self._totals: dict[str, float] = dict.fromkeys(self._TOTALS, 0)
            self._status: Counter[str] = Counter()
            self._routes: dict[str, dict[str, float]] = defaultdict(
                lambda: {"calls": 0, "attempts": 0, "errors": 0, "time_s": 0.0}
            )
            self._events: Counter[str] = Counter()

    def add(self, name: str, amount: float = 1) -> None:
        """Add to one of the totals (see `_TOTALS`)."""
        with self._lock:
            self._totals[name] += amount

    def event(self, name: str) -> None:
        """Count a named event such as `token_fetch` or `login`."""
        with self._lock:
            self._events[name] += 1

    def record_auth_exchange(self, method: str, route: str, elapsed_s: float) -> None:
        """A request of the auth flow (token endpoint, login, logout): sent, so counted in `attempts`, but
        kept out of the API calls' status counts."""
        with self._lock:
            self._routes[f"{method} {route}"]["attempts"] += 1
            self._totals["attempts"] += 1
            self._totals["request_time_s"] += elapsed_s

    def record_call(self, method: str, route: str, elapsed_s: float, failed: bool) -> None:
        """One logical call (all its attempts) finished."""
        with self._lock:
            row = self._routes[f"{method} {route}"]
            row["calls"] += 1
            row["time_s"] += elapsed_s
            self._totals["calls"] += 1
            if failed:
                row["errors"] += 1
                self._totals["errors"] += 1

    def record_attempt(
        self, method: str, route: str, status: int | str, elapsed_s: float, sent: int, received: int
    ) -> None:
        """One HTTP exchange (or transport failure, status like 'ConnectError') finished."""
        with self._lock:
            self._routes[f"{method} {route}"]["attempts"] += 1
            self._status[str(status)] += 1
            self._totals["attempts"] += 1
            self._totals["request_time_s"] += elapsed_s
            self._totals["bytes_sent"] += sent
            self._totals["bytes_received"] += received

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy: totals at top level, plus `status`, `routes` and `events` maps."""
        with self._lock:
            out: dict[str, Any] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self._totals.items()}
            out["status"] = dict(self._status)
            out["routes"] = {k: dict(v) for k, v in self._routes.items()}
            out["events"] = dict(self._events)
        return out

    def flat(self) -> dict[str, float]:
        """`snapshot()` flattened to dotted keys, e.g. `status.503`, `routes.GET /v1/items.calls`."""
        flat: dict[str, float] = {}
        for key, value in self.snapshot().items():
            if isinstance(value, dict):
                for sub, inner in value.items():
                    if isinstance(inner, dict):
                        flat.update({f"{key}.{sub}.{k}": v for k, v in inner.items()})
                    else:
                        flat[f"{key}.{sub}"] = inner
            else:
                flat[key] = value
        return flat
