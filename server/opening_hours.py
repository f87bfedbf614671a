"""Whether a place is open at a moment, from its opening hours, exceptions and IANA time zone.

Pure: the hours are schema.org `OpeningHoursSpecification` dicts as stored for a place
(`dayOfWeek`, `opens`, `closes`, and for exceptions `validFrom`/`validThrough`). The moment is
converted to the place's own time zone first, so the caller's zone and summer time play no part.

Rules: an exception covering the local date replaces the weekly hours for that whole day; an
exception without `opens`/`closes` closes the place that day, one with them is a special opening.
Hours whose `closes` is not after `opens` run past midnight (22:00-02:00). Without a valid time
zone, or without any hours at all, the answer is `None` (unknown), never a guess.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _time(value: Any) -> time | None:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            return None
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _days(spec: dict[str, Any]) -> set[str]:
    days = spec.get("dayOfWeek")
    if isinstance(days, str):
        days = [days]
    if not isinstance(days, list):
        return set()
    return {day.rsplit("/", 1)[-1] for day in days if isinstance(day, str)}


def _span(spec: dict[str, Any]) -> tuple[time, time] | None:
    opens, closes = _time(spec.get("opens")), _time(spec.get("closes"))
    if opens is None or closes is None:
        return None
    return opens, closes


def _open_on(spans: list[tuple[time, time]], moment: time, *, after_midnight: bool) -> bool:
    """Within one of the spans of a day: `after_midnight` asks about the next morning's tail."""
    for opens, closes in spans:
        overnight = closes <= opens
        if after_midnight:
            if overnight and moment < closes:
                return True
        elif opens <= moment and (overnight or moment < closes):
            return True
    return False


def _applies(exception: dict[str, Any], day: date) -> bool:
    starts = _date(exception.get("validFrom"))
    ends = _date(exception.get("validThrough")) or starts
    if starts is None or ends is None:
        return False
    days = _days(exception)
    return starts <= day <= ends and (not days or DAYS[day.weekday()] in days)


def _spans_of(
    day: date, weekly: list[dict[str, Any]], exceptions: list[dict[str, Any]]
) -> list[tuple[time, time]]:
    """The opening spans of one local date, exceptions first."""
    applying = [spec for spec in exceptions if isinstance(spec, dict) and _applies(spec, day)]
    chosen = applying or [
        spec for spec in weekly if isinstance(spec, dict) and DAYS[day.weekday()] in _days(spec)
    ]
    return [span for span in map(_span, chosen) if span is not None]


def zone_of(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_open(
    at: datetime,
    timezone: str | None,
    weekly: list[dict[str, Any]],
    exceptions: list[dict[str, Any]] | None = None,
) -> bool | None:
    """Open at `at` (an aware datetime), in the place's zone; `None` when it cannot be known."""
    zone = zone_of(timezone)
    exceptions = exceptions or []
    if zone is None or (not weekly and not exceptions):
        return None
    if at.tzinfo is None:
        raise ValueError("the moment must carry its UTC offset")
    local = at.astimezone(zone)
    today, moment = local.date(), local.time().replace(tzinfo=None)
    if _open_on(_spans_of(today, weekly, exceptions), moment, after_midnight=False):
        return True
    yesterday = today - timedelta(days=1)
    return _open_on(_spans_of(yesterday, weekly, exceptions), moment, after_midnight=True)


def next_opening(
    at: datetime,
    timezone: str | None,
    weekly: list[dict[str, Any]],
    exceptions: list[dict[str, Any]] | None = None,
    days_ahead: int = 14,
) -> datetime | None:
    """When the place next opens after `at` (aware, in its zone), within `days_ahead` days."""
    zone = zone_of(timezone)
    if zone is None or at.tzinfo is None:
        return None
    local = at.astimezone(zone)
    for offset in range(days_ahead + 1):
        day = local.date() + timedelta(days=offset)
        for opens, _closes in sorted(_spans_of(day, weekly, exceptions or [])):
            moment = datetime.combine(day, opens, tzinfo=zone)
            if moment > local:
                return moment
    return None
