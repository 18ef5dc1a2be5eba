"""Condition events over the real Mosquitto -> EAM work requests -> ERP reservations -> purchase requisitions."""

import dagster as dg

import assets
from assets.condition_job import condition_sync
from resources.alerts import AlertResource
from resources.state.breaker import reset_breaker
from sandbox import condition as publisher
from sensors.run_failures import bom_sync_failure_sensor
from sync.flows import CONDITION_FLOW
from tests.condition.condition_harness import erp_count
from tests.triggers.support import AlertInbox, evaluate_failure_sensor


def events(count: int, value: float = 11.2, asset: str = "P-101") -> list[dict]:
    return list(publisher.events(asset, value, count))


def test_one_event_above_threshold_becomes_one_work_request_with_the_job_plans_parts(cond):
    with cond.listening():
        cond.publish(events(1))
        assert cond.wait_for_drops(1) == 1
    result = cond.run_flow()
    assert result.success
    [wo] = cond.work_requests()
    assert (wo["assetnum"], wo["failurecode"], wo["status"]) == ("P-101", "BEARING", "WAPPR")
    planned = {line["itemnum"]: line["itemqty"] for line in cond.work_order(wo["wonum"])["wpmaterial"]}
    assert len(planned) == 2 and sorted(planned.values()) == [1.0, 2.0]  # JP-PUMP-BRG's spare parts
    [status] = cond.statuses().values()
    assert status["status"] == "awaiting_approval" and status["work_order"] == wo["wonum"]


def test_a_burst_of_1000_events_for_one_asset_becomes_one_work_request(cond):
    with cond.listening():
        assert cond.publish(events(1000)) == 1000
        assert cond.wait_for_drops(1000) == 1000
    assert cond.run_flow().success
    assert len(cond.work_requests()) == 1
    outcomes = [s["status"] for s in cond.statuses().values()]
    assert (outcomes.count("awaiting_approval"), outcomes.count("debounced")) == (1, 999)


def test_an_event_for_an_unknown_asset_is_a_rejected_drop_with_the_reason_and_no_work_request(cond):
    with cond.listening():
        cond.publish(events(1, asset="P-999"), asset="P-999")
        assert cond.wait_for_drops(1) == 1
    assert cond.run_flow().success
    [drop] = cond.store().rejected_drops("condition")
    assert drop.reason == "asset P-999 is not an EAM asset of site P1000"
    assert cond.work_requests("P-999") == []


def test_a_malformed_message_is_kept_as_a_rejected_drop_naming_the_field(cond):
    bad = {**events(1)[0], "value": "eleven"}
    with cond.listening():
        cond.publish([bad, b"{not json"])
        assert cond.wait_for_drops(2) == 2
    reasons = sorted(d.reason for d in cond.store().rejected_drops("condition"))
    assert "value: not a number ('eleven')" in reasons[0]
    assert "is not JSON" in reasons[1]
    assert cond.run_flow().success and cond.work_requests() == []


def test_replaying_the_same_mqtt_event_id_creates_nothing_new(cond):
    [event] = events(1)
    with cond.listening():
        cond.publish([event, event])
        assert cond.wait_for_drops(1) == 1
        assert cond.run_flow().success
        cond.publish([event, *events(1)])  # in order on one topic: once the new one is in, the replay was handled
        assert cond.wait_for_drops(2) == 2
    assert cond.drop_count() == 2  # the replay added no drop
    assert cond.run_flow().success
    assert len(cond.work_requests()) == 1
    assert sorted(s["status"] for s in cond.statuses().values()) == ["awaiting_approval", "debounced"]


def test_approving_the_work_order_gives_an_erp_reservation_and_no_requisition_when_stock_suffices(
    cond, maintenance_spec
):
    maintenance = cond.maintenance(maintenance_spec)
    with cond.listening():
        cond.publish(events(1))
        cond.wait_for_drops(1)
    assert cond.run_flow().success
    [wo] = cond.work_requests()
    cond.approve(wo["wonum"])
    assert maintenance.sync().success  # the maintenance flow reserves the approved order's parts
    before = erp_count(cond, "purchase_requisitions")
    assert cond.run_flow().success
    [status] = cond.statuses().values()
    reservation = maintenance.reservation(wo["wonum"])
    assert status["status"] == "reserved" and status["reservation"] == reservation.reservation
    assert len(reservation.items) == 2
    assert erp_count(cond, "purchase_requisitions") == before


def test_stock_below_the_reorder_point_gives_one_purchase_requisition(cond, maintenance_spec):
    maintenance = cond.maintenance(maintenance_spec)
    with cond.listening():
        cond.publish(events(1))
        cond.wait_for_drops(1)
    assert cond.run_flow().success
    [wo] = cond.work_requests()
    cond.approve(wo["wonum"])
    assert maintenance.sync().success
    short = sorted(line["itemnum"] for line in cond.work_order(wo["wonum"])["wpmaterial"])[0]
    cond.rules["reorder"]["points"] = {short: 100_000}
    before = erp_count(cond, "purchase_requisitions")
    assert cond.run_flow().success
    assert cond.run_flow().success  # followed up once: a second run orders nothing
    assert erp_count(cond, "purchase_requisitions") == before + 1
    [status] = cond.statuses().values()
    assert status["status"] == "requisitioned" and status["requisition"]


def test_a_value_rising_into_a_more_urgent_band_escalates_the_open_work_request(cond):
    with cond.listening():
        cond.publish(events(1, value=7.5))  # medium: priority 3
        cond.wait_for_drops(1)
        assert cond.run_flow().success
        cond.publish(events(1, value=11.5))  # critical: priority 1
        cond.wait_for_drops(2)
    assert cond.run_flow().success
    [wo] = cond.work_requests()
    assert wo["wopriority"] == 1
    assert sorted(s["status"] for s in cond.statuses().values()) == ["awaiting_approval", "escalated"]


def test_an_eam_outage_fails_the_run_and_keeps_the_events_pending_for_the_next(cond):
    with cond.listening():
        cond.publish(events(1))
        cond.wait_for_drops(1)
    cond.systems.faults("eam", outage=True)
    try:
        assert not cond.run_flow().success
    finally:
        cond.systems.faults("eam")
    assert len(cond.store().webhook_drops_after(0, source="condition", unprocessed_only=True)) == 1
    assert cond.store().consecutive_failures("condition_sync") == 1  # what the breaker counts
    assert cond.run_flow().success
    assert len(cond.work_requests()) == 1


def test_a_plant_critical_event_that_gets_no_work_request_alerts_at_once_and_only_once(cond):
    del cond.rules["job_plans"]["BEARING"]["PUMP"]  # the EAM work request cannot be planned
    with cond.listening():
        cond.publish(events(1, value=20.0))  # twice the limit: priority 1
        cond.wait_for_drops(1)
    inbox = AlertInbox()
    with inbox.serving() as url:
        alerts = AlertResource(webhook_url=url)
        assert not cond.run_flow(alerts=alerts).success
        assert not cond.run_flow(alerts=alerts).success  # still pending, still failing: no second alert
    [status] = cond.statuses().values()
    assert (status["status"], status["severity"]) == ("failed", "plant-critical")
    [alert] = inbox.messages
    assert "[CRITICAL] Plant-critical condition event failed" in alert["text"] and "P-101" in alert["text"]
    assert len(cond.store().webhook_drops_after(0, source="condition", unprocessed_only=True)) == 1


def test_three_failed_condition_runs_open_the_breaker_with_one_alert(cond):
    with cond.listening():
        cond.publish(events(1))
        cond.wait_for_drops(1)
    defs = dg.Definitions(assets=assets.definitions().assets, jobs=[condition_sync], resources=cond.resources())
    job = defs.resolve_job_def(condition_sync.name)
    inbox = AlertInbox()
    cond.systems.faults("eam", outage=True)
    try:
        with inbox.serving() as url:
            for _ in range(3):
                result = job.execute_in_process(instance=cond.systems.instance, raise_on_error=False)
                assert not result.success
                resources = {"sync_state": cond.systems.state(), "alerts": AlertResource(webhook_url=url)}
                evaluate_failure_sensor(bom_sync_failure_sensor, result, cond.systems.instance, resources)
    finally:
        cond.systems.faults("eam")
    store = cond.store()
    assert store.consecutive_failures(CONDITION_FLOW) == 3  # each failed run counted once
    [alert] = inbox.messages
    assert "Circuit breaker OPEN for condition_sync: 3 consecutive failed runs" in alert["text"]
    reset_breaker(store, CONDITION_FLOW)
