"""`condition_event_sensor`: pending drops -> one run keyed by their range; rejected drops start nothing; the
breaker stops it."""

import dagster as dg
import pytest

from resources.state import SyncStateResource
from resources.state.condition_events import record_requests
from sensors.condition_events import condition_event_sensor
from sync.flows import CONDITION_FLOW


@pytest.fixture
def sync_state(tmp_path) -> SyncStateResource:
    return SyncStateResource(url=f"sqlite:///{tmp_path / 'state.db'}")


def tick(sync_state, cursor=None):
    with dg.build_sensor_context(cursor=cursor, resources={"sync_state": sync_state}) as context:
        return condition_event_sensor(context)


def test_pending_drops_request_one_run_keyed_by_their_range(sync_state):
    store = sync_state.store()
    for n in range(3):
        store.add_webhook_drop("condition", f"e{n}", "condition.threshold", {"event_id": f"e{n}"})
    result = tick(sync_state)
    [request] = result.run_requests
    assert (request.run_key, result.cursor) == ("condition:1-3", "3")
    assert tick(sync_state, cursor=result.cursor).skip_message == "no condition event drops after drop 3"


def test_drops_rejected_at_ingest_start_no_run(sync_state):
    sync_state.store().drops.add_rejected("condition", "bad", "condition.threshold", {"raw": "x"}, "not JSON")
    result = tick(sync_state)
    assert result.run_requests == [] and result.cursor == "1"


def test_an_open_breaker_skips_with_the_reason(sync_state):
    store = sync_state.store()
    store.add_webhook_drop("condition", "e1", "condition.threshold", {})
    for _ in range(3):
        store.finish_run(store.start_run(CONDITION_FLOW, None, "r", "r"), "failed")
    assert "circuit breaker for flow 'condition_sync' is open" in tick(sync_state).skip_message


def test_work_requests_waiting_for_their_follow_up_get_one_run_per_period(sync_state):
    store = sync_state.store()
    run_id = store.start_run(CONDITION_FLOW, None, "r", "r")
    record_requests(store, run_id, {"P1000/P-101/BEARING": {"wonum": "1061", "event_id": "e1", "site": "P1000"}})
    [request] = tick(sync_state).run_requests
    assert request.run_key.startswith("condition:follow-up:")
    record_requests(store, run_id, {"P1000/P-101/BEARING": {"wonum": "1061", "event_id": "e1", "done": True}})
    assert tick(sync_state).skip_message == "no condition event drops after drop 0"
