"""The circuit breaker, read from the state store's runs: the threshold is the caller's, not the environment's."""

from __future__ import annotations

import pytest

from resources.state import StateStore
from resources.state.breaker import RESET_PARTITION, breaker_state, reset_breaker

FLOW = "bom_sync"


def finished_run(store: StateStore, status: str, partition: str = "ASM-1") -> int:
    run_id = store.start_run(FLOW, partition, f"corr-{status}", dagster_run_id=f"dagster-{status}")
    store.finish_run(run_id, status)
    return run_id


def test_the_breaker_opens_at_the_threshold_it_is_given(store):
    finished_run(store, "failed")
    finished_run(store, "failed")

    assert breaker_state(store, FLOW, threshold=2).is_open
    assert not breaker_state(store, FLOW, threshold=3).is_open


def test_an_open_breaker_says_since_when_and_which_run_failed_last(store):
    for _ in range(3):
        finished_run(store, "failed")

    state = breaker_state(store, FLOW, threshold=3)

    assert state.failures == 3 and state.since is not None and state.last_failed_run == "dagster-failed"
    assert f"circuit breaker for flow {FLOW!r} is open since" in state.reason()


def test_canceled_runs_neither_count_nor_end_the_streak(store):
    finished_run(store, "failed")
    finished_run(store, "canceled")
    finished_run(store, "failed")

    assert breaker_state(store, FLOW, threshold=2).failures == 2


def test_a_reset_closes_the_breaker_with_a_marker_run(store):
    finished_run(store, "failed")
    finished_run(store, "failed")

    marker = reset_breaker(store, FLOW, by="maintenance-planner")

    assert not breaker_state(store, FLOW, threshold=2).is_open
    run = store.get_run(marker)
    assert run.partition == RESET_PARTITION and run.status == "succeeded"
    assert "maintenance-planner" in run.correlation_id


def test_a_threshold_below_one_is_refused_naming_the_flow(store):
    with pytest.raises(ValueError, match="flow 'bom_sync'.*threshold must be >= 1"):
        breaker_state(store, FLOW, threshold=0)


def test_three_partial_runs_open_the_breaker(store):
    for _ in range(3):
        finished_run(store, "partial")

    state = breaker_state(store, FLOW, threshold=3)

    assert state.is_open and state.failures == 3 and state.last_failed_run == "dagster-partial"


def test_a_partial_run_continues_a_streak_of_failed_runs(store):
    finished_run(store, "failed")
    finished_run(store, "partial")
    finished_run(store, "failed")

    assert breaker_state(store, FLOW, threshold=3).is_open
