"""Leases: named locks that runs on different processes take before writing shared records."""

from __future__ import annotations

import threading
import time

import pytest

from resources.state.leases import LeaseTimeout


def test_a_holder_takes_every_name_or_none(store) -> None:
    assert store.leases.try_take(["bom/B"], "run-1") == []
    assert store.leases.try_take(["bom/A", "bom/B", "bom/C"], "run-2") == ["bom/B"]
    assert store.leases.try_take(["bom/A", "bom/C"], "run-3") == []  # run-2 took nothing


def test_a_second_holder_waits_until_the_first_releases(store) -> None:
    order: list[str] = []
    first_holds = threading.Event()

    def first() -> None:
        with store.hold_leases(["bom/SUB-1"], "run-1"):
            first_holds.set()
            time.sleep(0.5)
            order.append("run-1 done")

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(10)
    waited: list[list[str]] = []
    with store.hold_leases(["bom/SUB-1", "bom/SUB-2"], "run-2", poll_s=0.05, on_wait=waited.append):
        order.append("run-2 holds")
    thread.join()
    assert order == ["run-1 done", "run-2 holds"]
    assert waited == [["bom/SUB-1"]]


def test_leases_are_released_after_the_block_even_when_it_fails(store) -> None:
    with pytest.raises(RuntimeError), store.hold_leases(["bom/A"], "run-1"):
        raise RuntimeError("apply broke off")
    assert store.leases.try_take(["bom/A"], "run-2") == []


def test_an_expired_lease_of_a_dead_holder_is_taken_over(store) -> None:
    assert store.leases.try_take(["bom/A"], "killed-run", ttl_s=2.0) == []
    assert store.leases.try_take(["bom/A"], "run-2") == ["bom/A"]
    time.sleep(2.1)
    assert store.leases.try_take(["bom/A"], "run-2") == []


def test_a_held_lease_is_renewed_while_its_holder_lives(store) -> None:
    with store.hold_leases(["bom/A"], "run-1", ttl_s=1.5):
        time.sleep(3.5)  # over two lease periods: renewal keeps it
        assert store.leases.try_take(["bom/A"], "run-2") == ["bom/A"]


def test_waiting_longer_than_allowed_names_the_held_records(store) -> None:
    store.leases.try_take(["bom/A"], "run-1")
    with pytest.raises(LeaseTimeout, match="bom/A"), store.hold_leases(["bom/A"], "run-2", wait_s=0.2, poll_s=0.05):
        pass


def test_the_leases_of_a_dead_run_can_be_freed_at_once(store) -> None:
    store.leases.try_take(["bom/A", "material/M-1"], "killed-run")
    assert store.release_leases_of("killed-run") == 2
    assert store.leases.try_take(["bom/A", "material/M-1"], "run-2") == []
