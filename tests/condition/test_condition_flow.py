"""Condition events over the real Mosquitto -> EAM work requests -> ERP reservations -> purchase requisitions."""

from sandbox import condition as publisher


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
