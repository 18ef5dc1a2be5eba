"""Settings of schedules, op retries and the circuit breaker, from the environment.

Read at call time, never at import, so a test or a deployment can change them without reloading modules.
Env vars (defaults in brackets):
  MFG_SYNC_TIMEZONE [UTC]                 schedules' execution_timezone (IANA name)
  MFG_SYNC_HOLIDAY_COUNTRY [""]           `holidays` country code (e.g. DE); empty means no holiday calendar
  MFG_SYNC_HOLIDAY_SUBDIV [""]            subdivision (e.g. BY)
  MFG_SYNC_EXTRA_HOLIDAYS [""]            plant shutdowns etc.: "2025-12-24=Plant shutdown,2025-12-31"
  MFG_SYNC_RETRY_DELAYS_S [300,900,1800]  op retries: count = entries, first = base delay ("none" = off)
  MFG_SYNC_BREAKER_THRESHOLD [3]          consecutive failed runs that open a flow's circuit breaker
  MFG_SYNC_SCHEDULE_CRON ["0 0,6,12,18 * * 1-5"], MFG_SYNC_FULL_SYNC_CRON ["0 22 * * 0"]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_RETRY_DELAYS_S = (300.0, 900.0, 1800.0)  # 5, 15, 30 minutes, as the users asked


class TriggerSettingsError(ValueError):
    """A trigger setting from the environment is malformed; the message names the variable."""


def env_of(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def env_number(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise TriggerSettingsError(f"{name}: expected a number, got {value!r}") from None
    if number < 0:
        raise TriggerSettingsError(f"{name}: must be >= 0, got {value!r}")
    return number


def retry_delays(env: Mapping[str, str] | None = None) -> tuple[float, ...]:
    """Seconds to wait before each op retry (MFG_SYNC_RETRY_DELAYS_S, comma-separated)."""
    value = env_of(env).get("MFG_SYNC_RETRY_DELAYS_S", "").strip()
    if not value:
        return DEFAULT_RETRY_DELAYS_S
    if value.lower() in ("none", "off"):
        return ()
    try:
        delays = tuple(float(part) for part in value.split(","))
    except ValueError:
        raise TriggerSettingsError(
            f"MFG_SYNC_RETRY_DELAYS_S: expected seconds like 300,900,1800, got {value!r}"
        ) from None
    if any(d < 0 for d in delays):
        raise TriggerSettingsError(f"MFG_SYNC_RETRY_DELAYS_S: delays must be >= 0, got {value!r}")
    return delays


@dataclass(frozen=True)
class ScheduleSettings:
    """When the schedules tick and which days they skip."""

    timezone: str = "UTC"
    holiday_country: str = ""
    holiday_subdiv: str = ""
    extra_holidays: dict[date, str] = field(default_factory=dict)
    cron: str = "0 0,6,12,18 * * 1-5"
    full_sync_cron: str = "0 22 * * 0"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ScheduleSettings:
        e = env_of(env)
        timezone = e.get("MFG_SYNC_TIMEZONE", "").strip() or "UTC"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise TriggerSettingsError(f"MFG_SYNC_TIMEZONE: unknown time zone {timezone!r}") from None
        return cls(
            timezone=timezone,
            holiday_country=e.get("MFG_SYNC_HOLIDAY_COUNTRY", "").strip().upper(),
            holiday_subdiv=e.get("MFG_SYNC_HOLIDAY_SUBDIV", "").strip().upper(),
            extra_holidays=_extra_holidays(e.get("MFG_SYNC_EXTRA_HOLIDAYS", "")),
            cron=e.get("MFG_SYNC_SCHEDULE_CRON", "").strip() or cls.cron,
            full_sync_cron=e.get("MFG_SYNC_FULL_SYNC_CRON", "").strip() or cls.full_sync_cron,
        )

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday on `day` in the configured calendar, or None for a working day."""
        if day in self.extra_holidays:
            return self.extra_holidays[day]
        if not self.holiday_country:
            return None
        import holidays  # imported here: the calendar data is large and only schedules need it

        try:
            calendar = holidays.country_holidays(
                self.holiday_country, subdiv=self.holiday_subdiv or None, years=day.year
            )
        except NotImplementedError:
            raise TriggerSettingsError(
                f"MFG_SYNC_HOLIDAY_COUNTRY/SUBDIV: no holiday calendar for "
                f"{self.holiday_country!r}/{self.holiday_subdiv!r}"
            ) from None
        return calendar.get(day)


def _extra_holidays(value: str) -> dict[date, str]:
    days: dict[date, str] = {}
    for entry in filter(None, (part.strip() for part in value.split(","))):
        day, _, name = entry.partition("=")
        try:
            days[date.fromisoformat(day.strip())] = name.strip() or "plant holiday"
        except ValueError:
            raise TriggerSettingsError(f"MFG_SYNC_EXTRA_HOLIDAYS: {entry!r} is not YYYY-MM-DD[=name]") from None
    return days


def breaker_threshold(env: Mapping[str, str] | None = None) -> int:
    """Consecutive failed runs of a flow that open its breaker."""
    return max(1, int(env_number(env_of(env), "MFG_SYNC_BREAKER_THRESHOLD", 3)))
