"""Business severity of maintenance failures: what a failed record costs the plant."""

import pytest

from sync.severity import WorkOrderFacts, gravest, maintenance_severity


@pytest.mark.parametrize("entity", ["goods_issue", "reservation"])
@pytest.mark.parametrize("status", ["APPR", "WMATL", "INPRG"])
@pytest.mark.parametrize("priority", [1, 2])
def test_a_posting_for_an_open_priority_1_or_2_work_order_is_plant_critical(entity, status, priority):
    assert maintenance_severity(entity, WorkOrderFacts(status, priority)) == "plant-critical"


@pytest.mark.parametrize("priority", [3, 5, None])
def test_lower_priority_open_work_is_operational(priority):
    assert maintenance_severity("goods_issue", WorkOrderFacts("INPRG", priority)) == "operational"


@pytest.mark.parametrize("status", ["COMP", "CLOSE", "CAN"])
def test_a_posting_for_finished_work_only_delays_reporting(status):
    assert maintenance_severity("goods_issue", WorkOrderFacts(status, 1)) == "reporting"


def test_an_unknown_work_order_or_another_entity_is_operational():
    assert maintenance_severity("goods_issue", None) == "operational"
    assert maintenance_severity("extract_cursor", WorkOrderFacts("APPR", 1)) == "operational"


def test_an_incident_takes_the_gravest_severity_of_its_records():
    assert gravest(["reporting", "plant-critical", "operational"]) == "plant-critical"
    assert gravest([]) == "operational"
