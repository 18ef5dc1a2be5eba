"""How long a failing call keeps trying: the time budget decides, attempts only when configured.

Backoff is exponential with full jitter, capped at `backoff_max_s`: uniform(0, min(max, initial * 2^n)).
A `Retry-After` the system sends (capped at `retry_after_cap_s`) is waited out as a minimum and does not
spend one of the configured attempts: the system said when to come back, so coming back is no new failure.
The next attempt is never started when its wait would end after `total_budget_s`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception

from .errors import ApiError
from .policy import RetryPolicy


def backoff_s(policy: RetryPolicy, failures: int) -> float:
    """Full-jitter exponential wait after the `failures`-th consecutive failure (1-based)."""
    ceiling = min(policy.backoff_max_s, policy.backoff_initial_s * (2 ** min(failures - 1, 62)))
    return random.uniform(0, ceiling)


def _failure(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome else None


def _retry_after(exc: BaseException | None) -> float | None:
    return exc.retry_after_s if isinstance(exc, ApiError) else None


class RetryBudget:
    """Wait and stop rules for one logical call; remembers why it stopped, for the final error."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.spent_attempts = 0  # attempts that count against `max_attempts` (Retry-After ones do not)
        self.stopped_because: str | None = None
        self._clock = clock
        self.started = clock()

    def elapsed_s(self) -> float:
        return self._clock() - self.started

    def wait(self, state: RetryCallState) -> float:
        """Backoff for this failure; a Retry-After (capped) is honoured as a minimum."""
        rp = self.policy
        wait = backoff_s(rp, state.attempt_number)
        retry_after = _retry_after(_failure(state))
        if retry_after is not None:
            wait = max(wait, min(retry_after, rp.retry_after_cap_s))
        return wait

    def stop(self, state: RetryCallState) -> bool:
        """True when the configured attempts are spent or the next attempt would start past the budget."""
        rp = self.policy
        if _retry_after(_failure(state)) is None:
            self.spent_attempts += 1
        if rp.max_attempts is not None and self.spent_attempts >= rp.max_attempts:
            self.stopped_because = f"attempt limit of {rp.max_attempts} reached"
            return True
        upcoming = state.upcoming_sleep or 0.0
        if self.elapsed_s() + upcoming > rp.total_budget_s:
            self.stopped_because = f"retry budget of {rp.total_budget_s:g} s spent (next wait {upcoming:.2f} s)"
            return True
        return False

    def retrying(
        self, retry_if: Callable[[BaseException], bool], before_sleep: Callable[[RetryCallState], Any] | None = None
    ) -> Retrying:
        """A tenacity `Retrying` that re-raises the last error once this budget stops it."""
        return Retrying(
            stop=self.stop, wait=self.wait, retry=retry_if_exception(retry_if), before_sleep=before_sleep, reraise=True
        )

    def annotate(self, err: ApiError, attempts: int) -> None:
        """Stamp the final error with what was tried: attempts, seconds spent and why it stopped."""
        err.attempts, err.elapsed_s = attempts, round(self.elapsed_s(), 3)
        err.gave_up_because = self.stopped_because if err.may_retry else None
