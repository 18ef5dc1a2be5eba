"""Condition events (a measurement crossing its threshold) and the rule that turns them into work requests.

Free of Dagster, HTTP and MQTT: `parse_event` validates one message (any listener or webhook hands it the
decoded JSON), `ConditionRules` is the rules file (`mappings/condition_rules.yaml`), and `decide` says per
event what happens: below threshold, a new work request, debounced into an open one, or an escalation of its
priority because the value kept rising.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

REQUIRED = ("event_id", "asset", "measurement", "value", "unit", "threshold", "timestamp")
MAX_TEXT = 64  # longer ids, asset numbers or units are not a monitoring platform's, but garbage


class EventError(ValueError):
    """A message that is not a valid condition event; names the field and what is wrong with it."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name


@dataclass(frozen=True, slots=True)
class ConditionEvent:
    event_id: str
    site: str
    asset: str
    measurement: str
    value: Decimal
    unit: str
    threshold: Decimal
    timestamp: datetime

    @property
    def above_threshold(self) -> bool:
        return self.value >= self.threshold

    def as_payload(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "site": self.site,
            "asset": self.asset,
            "measurement": self.measurement,
            "value": str(self.value),
            "unit": self.unit,
            "threshold": str(self.threshold),
            "timestamp": self.timestamp.isoformat(),
        }


def _text(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise EventError(name, f"missing or not a text ({value!r})")
    if len(value) > MAX_TEXT or not value.isprintable():
        raise EventError(name, f"not a valid value ({value[:MAX_TEXT]!r}...)")
    return value.strip()


def _number(payload: Mapping[str, Any], name: str) -> Decimal:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise EventError(name, f"missing or not a number ({value!r})")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise EventError(name, f"not a number ({value!r})") from None
    if not number.is_finite() or (isinstance(value, float) and not math.isfinite(value)):
        raise EventError(name, f"not a finite number ({value!r})")
    return number


def _timestamp(payload: Mapping[str, Any]) -> datetime:
    value = payload.get("timestamp")
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise EventError("timestamp", f"not an ISO 8601 time ({value!r})") from None
    if stamp.tzinfo is None:
        raise EventError("timestamp", f"has no time zone ({value!r})")
    return stamp.astimezone(UTC)


def parse_event(payload: Any, site: str | None = None) -> ConditionEvent:
    """A validated event from decoded JSON; `site` (e.g. the topic's plant) applies when the payload has none."""
    if not isinstance(payload, Mapping):
        raise EventError("payload", f"expected a JSON object, got {type(payload).__name__}")
    missing = [name for name in REQUIRED if name not in payload]
    if missing:
        raise EventError(missing[0], "missing" + (f" (also {', '.join(missing[1:])})" if missing[1:] else ""))
    return ConditionEvent(
        event_id=_text(payload, "event_id"),
        site=_text(payload, "site") if "site" in payload else (site or ""),
        asset=_text(payload, "asset").upper(),
        measurement=_text(payload, "measurement"),
        value=_number(payload, "value"),
        unit=_text(payload, "unit"),
        threshold=_number(payload, "threshold"),
        timestamp=_timestamp(payload),
    )


@dataclass(frozen=True)
class Severity:
    name: str
    min_ratio: Decimal  # value / threshold at or above which the band applies
    priority: int  # Maximo wopriority, 1 most urgent


@dataclass(frozen=True)
class ConditionRules:
    failure_classes: dict[str, str]  # measurement -> failure class
    job_plans: dict[str, dict[str, str]]  # failure class -> asset type -> job plan
    cost_centers: dict[str, str]  # asset type -> cost centre the work request's parts are reserved against
    severities: tuple[Severity, ...]  # most severe first
    debounce: timedelta = timedelta(hours=24)
    reorder_points: dict[str, Decimal] = field(default_factory=dict)  # material -> reorder point (plant stock)
    default_reorder_point: Decimal = Decimal(0)
    reorder_quantity: Decimal = Decimal(10)  # requested on top of the shortfall
    storage_location: str = "0001"

    def failure_class(self, measurement: str) -> str | None:
        return self.failure_classes.get(measurement)

    def severity(self, event: ConditionEvent) -> Severity:
        ratio = event.value / event.threshold if event.threshold else Decimal("Infinity")
        return next((s for s in self.severities if ratio >= s.min_ratio), self.severities[-1])

    def reorder_point(self, material: str) -> Decimal:
        return self.reorder_points.get(material, self.default_reorder_point)


def load_rules(path: str | Path) -> ConditionRules:
    """The rules file; a problem names the file and the entry."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    try:
        severities = tuple(
            sorted(
                (
                    Severity(name, Decimal(str(s["min_ratio"])), int(s["priority"]))
                    for name, s in data["severity"].items()
                ),
                key=lambda s: s.min_ratio,
                reverse=True,
            )
        )
        reorder = data.get("reorder", {})
        return ConditionRules(
            failure_classes={str(k): str(v["failure_class"]) for k, v in data["measurements"].items()},
            job_plans={str(k): {str(t): str(j) for t, j in v.items()} for k, v in data["job_plans"].items()},
            cost_centers={str(k): str(v) for k, v in data.get("cost_centers", {}).items()},
            severities=severities,
            debounce=timedelta(hours=float(data.get("debounce_hours", 24))),
            reorder_points={str(k): Decimal(str(v)) for k, v in reorder.get("points", {}).items()},
            default_reorder_point=Decimal(str(reorder.get("default_point", 0))),
            reorder_quantity=Decimal(str(reorder.get("quantity", 10))),
            storage_location=str(reorder.get("storage_location", "0001")),
        )
    except (KeyError, TypeError, AttributeError, ValueError, InvalidOperation) as err:
        raise ValueError(f"{path}: condition rules: {type(err).__name__} {err}") from None


@dataclass(frozen=True, slots=True)
class Decision:
    event_id: str
    key: str  # "<site>/<asset>/<failure class>": what is debounced together
    action: str  # below_threshold | unmapped | work_request | debounced | escalate
    priority: int | None = None
    reason: str = ""


def request_key(event: ConditionEvent, failure_class: str) -> str:
    return f"{event.site}/{event.asset}/{failure_class}"


def decide(
    rules: ConditionRules, events: Iterable[ConditionEvent], open_requests: Mapping[str, Mapping[str, Any]]
) -> list[Decision]:
    """Per event in time order: one work request per asset and failure class within the debounce window.

    `open_requests` maps a request key to the work request raised for it ({created_at, priority, wonum});
    one older than the window no longer debounces. A more urgent severity than the request's escalates it."""
    known = {k: dict(v) for k, v in open_requests.items()}
    decisions = []
    for event in sorted(events, key=lambda e: (e.timestamp, e.event_id)):
        failure_class = rules.failure_class(event.measurement)
        if failure_class is None:
            decisions.append(
                Decision(event.event_id, "", "unmapped", reason=f"no failure class for {event.measurement}")
            )
            continue
        key = request_key(event, failure_class)
        if not event.above_threshold:
            decisions.append(
                Decision(event.event_id, key, "below_threshold", reason=f"{event.value} < {event.threshold}")
            )
            continue
        priority = rules.severity(event).priority
        request = known.get(key)
        if request is not None and event.timestamp - _aware(request["created_at"]) < rules.debounce:
            wonum = request.get("wonum") or "(this run's)"
            if priority < int(request["priority"]):
                request["priority"] = priority
                decisions.append(Decision(event.event_id, key, "escalate", priority, f"value rose to {event.value}"))
            else:
                decisions.append(Decision(event.event_id, key, "debounced", reason=f"work request {wonum} is open"))
            continue
        known[key] = {"created_at": event.timestamp.isoformat(), "priority": priority, "wonum": None}
        decisions.append(Decision(event.event_id, key, "work_request", priority))
    return decisions


def _aware(value: Any) -> datetime:
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
