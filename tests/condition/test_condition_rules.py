"""The condition rule, free of systems: validation of an event, debounce, severity and escalation."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from assets.condition_job import DEFAULT_CONDITION_RULES
from sync.condition import EventError, decide, load_rules, parse_event

RULES = load_rules(DEFAULT_CONDITION_RULES)
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def event(n: int = 0, value: float = 11.2, asset: str = "P-101", at: datetime = T0, **extra) -> dict:
    return {
        "event_id": f"e-{asset}-{n}",
        "site": "P1000",
        "asset": asset,
        "measurement": "vibration_velocity",
        "value": value,
        "unit": "mm/s",
        "threshold": 7.1,
        "timestamp": (at + timedelta(seconds=n)).isoformat(),
        **extra,
    }


def test_a_burst_of_1000_events_is_one_work_request_and_999_debounced():
    actions = [d.action for d in decide(RULES, [parse_event(event(n)) for n in range(1000)], {})]
    assert (actions.count("work_request"), actions.count("debounced")) == (1, 999)


def test_each_asset_gets_its_own_work_request():
    decisions = decide(RULES, [parse_event(event(0, asset=a)) for a in ("P-101", "P-102")], {})
    assert [d.action for d in decisions] == ["work_request", "work_request"]


def test_a_value_rising_into_a_more_urgent_band_escalates_the_open_request_once():
    values = [7.5, 7.6, 9.0, 9.1, 11.0, 11.5]  # medium, medium, high, high, critical, critical
    decisions = decide(RULES, [parse_event(event(n, v)) for n, v in enumerate(values)], {})
    assert [(d.action, d.priority) for d in decisions] == [
        ("work_request", 3),
        ("debounced", None),
        ("escalate", 2),
        ("debounced", None),
        ("escalate", 1),
        ("debounced", None),
    ]


def test_a_request_older_than_the_window_no_longer_debounces():
    open_requests = {"P1000/P-101/BEARING": {"created_at": (T0 - timedelta(hours=25)).isoformat(), "priority": 1}}
    [decision] = decide(RULES, [parse_event(event())], open_requests)
    assert decision.action == "work_request"


def test_below_the_threshold_is_recorded_and_raises_nothing():
    [decision] = decide(RULES, [parse_event(event(value=3.0))], {})
    assert (decision.action, decision.reason) == ("below_threshold", "3.0 < 7.1")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": None}, "value: missing or not a number (None)"),
        ({"threshold": "lots"}, "threshold: not a number ('lots')"),
        ({"timestamp": "yesterday"}, "timestamp: not an ISO 8601 time ('yesterday')"),
        ({"timestamp": "2026-12-01T08:00:00"}, "timestamp: has no time zone"),
        ({"asset": ""}, "asset: missing or not a text ('')"),
    ],
)
def test_an_invalid_event_names_the_field(change, message):
    with pytest.raises(EventError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_event({**event(), **change})


def test_a_missing_field_is_named():
    payload = event()
    del payload["unit"]
    with pytest.raises(EventError, match="unit: missing"):
        parse_event(payload)


def test_the_value_is_exact():
    assert parse_event(event(value=11.2)).value == Decimal("11.2")
