"""When a closed place opens next, on its own clock, exceptions first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from server.opening_hours import next_opening

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = [
    {
        "dayOfWeek": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
        "opens": "09:00",
        "closes": "18:00",
    }
]


def test_the_next_opening_is_the_next_morning_or_after_the_weekend() -> None:
    friday_evening = datetime(2026, 12, 4, 19, 0, tzinfo=PARIS)
    assert next_opening(friday_evening, "Europe/Paris", WEEKDAYS) == datetime(
        2026, 12, 7, 9, 0, tzinfo=PARIS
    )
    tuesday_dawn = datetime(2026, 12, 8, 6, 0, tzinfo=PARIS)
    assert next_opening(tuesday_dawn, "Europe/Paris", WEEKDAYS) == datetime(
        2026, 12, 8, 9, 0, tzinfo=PARIS
    )


def test_an_exception_closes_a_day_or_opens_it_later() -> None:
    closed_monday = {"validFrom": "2026-12-07", "validThrough": "2026-12-07"}
    late_tuesday = {
        "validFrom": "2026-12-08", "validThrough": "2026-12-08", "opens": "14:00", "closes": "16:00"
    }  # fmt: skip
    friday_evening = datetime(2026, 12, 4, 19, 0, tzinfo=PARIS)
    assert next_opening(
        friday_evening, "Europe/Paris", WEEKDAYS, [closed_monday, late_tuesday]
    ) == datetime(2026, 12, 8, 14, 0, tzinfo=PARIS)


def test_no_hours_or_no_zone_give_no_next_opening() -> None:
    now = datetime(2026, 12, 4, 19, 0, tzinfo=PARIS)
    assert next_opening(now, "Europe/Paris", []) is None
    assert next_opening(now, None, WEEKDAYS) is None
