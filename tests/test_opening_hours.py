"""Opening hours evaluated in the place's own time zone (pure function, no node)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from server.opening_hours import is_open

PARIS = "Europe/Paris"
WEEKLY: list[dict[str, Any]] = [
    {"dayOfWeek": ["Monday", "Tuesday", "Thursday"], "opens": "09:00:00", "closes": "18:00:00"},
    {"dayOfWeek": ["Friday"], "opens": "09:00:00", "closes": "13:00:00"},
]
EXCEPTIONS: list[dict[str, Any]] = [
    # Closed from Christmas Eve to 2 January; the Monday 28 December 2026 included.
    {"validFrom": "2026-12-24", "validThrough": "2027-01-02", "description": "Fêtes"},
    # Bastille Day 2026 is a Tuesday: open 10:00-16:00 instead of 09:00-18:00.
    {"validFrom": "2026-07-14", "opens": "10:00:00", "closes": "16:00:00"},
    # A special opening on a Sunday.
    {
        "validFrom": "2026-06-21",
        "validThrough": "2026-06-21",
        "opens": "14:00:00",
        "closes": "20:00:00",
        "description": "Fête de la musique",
    },
]


def paris(*args: int) -> datetime:
    # Summer time in Paris is UTC+2, winter time UTC+1: build the moments from UTC explicitly.
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 6, 1, 7, 30), True),  # Monday 09:30 Paris (UTC+2)
        (paris(2026, 6, 1, 6, 30), False),  # Monday 08:30 Paris
        (paris(2026, 6, 1, 16, 0), False),  # Monday 18:00 Paris: closes is exclusive
        (paris(2026, 6, 3, 10, 0), False),  # Wednesday: not in the weekly hours
        (paris(2026, 6, 5, 10, 30), True),  # Friday 12:30
        (paris(2026, 6, 5, 11, 30), False),  # Friday 13:30
    ],
)
def test_weekly_schedule(moment: datetime, expected: bool) -> None:
    assert is_open(moment, PARIS, WEEKLY, EXCEPTIONS) is expected


def test_a_holiday_closure_replaces_the_weekly_hours() -> None:
    monday_in_the_holidays = paris(2026, 12, 28, 10, 0)  # 11:00 Paris, a Monday
    assert is_open(monday_in_the_holidays, PARIS, WEEKLY, EXCEPTIONS) is False
    assert is_open(monday_in_the_holidays, PARIS, WEEKLY, []) is True
    # The day after the closure's last day, the weekly hours apply again (Monday 4 January).
    assert is_open(paris(2027, 1, 4, 10, 0), PARIS, WEEKLY, EXCEPTIONS) is True


def test_special_openings() -> None:
    # 14 July: 10:00-16:00 instead of 09:00-18:00.
    assert is_open(paris(2026, 7, 14, 7, 30), PARIS, WEEKLY, EXCEPTIONS) is False  # 09:30
    assert is_open(paris(2026, 7, 14, 8, 30), PARIS, WEEKLY, EXCEPTIONS) is True  # 10:30
    assert is_open(paris(2026, 7, 14, 14, 30), PARIS, WEEKLY, EXCEPTIONS) is False  # 16:30
    # A Sunday opening that the weekly hours do not have.
    assert is_open(paris(2026, 6, 21, 13, 0), PARIS, WEEKLY, EXCEPTIONS) is True  # 15:00
    assert is_open(paris(2026, 6, 21, 13, 0), PARIS, WEEKLY, []) is False


def test_the_place_zone_counts_not_the_callers() -> None:
    # A caller in Montréal (UTC-4 in summer) asks at 03:30 local: 09:30 in Paris, open.
    montreal = timezone(timedelta(hours=-4))
    asked = datetime(2026, 6, 1, 3, 30, tzinfo=montreal)
    assert is_open(asked, PARIS, WEEKLY) is True
    # The same hours for a place on Réunion (UTC+4): 11:30 there, open; at 07:30 UTC, closed.
    assert is_open(asked, "Indian/Reunion", WEEKLY) is True
    assert is_open(paris(2026, 6, 1, 14, 30), "Indian/Reunion", WEEKLY) is False  # 18:30
    # And in Guadeloupe (UTC-4): 03:30, closed.
    assert is_open(asked, "America/Guadeloupe", WEEKLY) is False


def test_summer_time_change() -> None:
    # Paris moves to UTC+2 on Sunday 29 March 2026: 07:30 UTC is 08:30 the Monday before, 09:30
    # the Monday after.
    assert is_open(paris(2026, 3, 23, 7, 30), PARIS, WEEKLY) is False
    assert is_open(paris(2026, 3, 30, 7, 30), PARIS, WEEKLY) is True
    # And back on 25 October 2026: 16:30 UTC is 18:30 on Monday 19 (closed), 17:30 on Monday 26.
    assert is_open(paris(2026, 10, 19, 16, 30), PARIS, WEEKLY) is False
    assert is_open(paris(2026, 10, 26, 16, 30), PARIS, WEEKLY) is True


def test_hours_past_midnight() -> None:
    late = [{"dayOfWeek": ["Friday"], "opens": "20:00:00", "closes": "02:00:00"}]
    assert is_open(paris(2026, 6, 5, 21, 0), PARIS, late) is True  # Friday 23:00
    assert is_open(paris(2026, 6, 5, 23, 30), PARIS, late) is True  # Saturday 01:30
    assert is_open(paris(2026, 6, 6, 0, 30), PARIS, late) is False  # Saturday 02:30


def test_unknown_without_zone_or_hours() -> None:
    now = paris(2026, 6, 1, 7, 30)
    assert is_open(now, None, WEEKLY) is None
    assert is_open(now, "Not/AZone", WEEKLY) is None
    assert is_open(now, PARIS, [], []) is None
    with pytest.raises(ValueError, match="offset"):
        is_open(datetime(2026, 6, 1, 9, 30), PARIS, WEEKLY)
