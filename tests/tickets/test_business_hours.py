"""Business hours: Monday to Friday, 9:00 to 18:00 in Paris, French public holidays excluded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.business_hours import (
    CLOSES,
    OPENS,
    PARIS,
    add_business_hours,
    add_business_time,
    business_seconds,
    is_business_day,
)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # An ordinary Tuesday, inside the day, to the closing exactly, over the night.
        (paris(2026, 6, 2, 10, 0), 2, paris(2026, 6, 2, 12, 0)),
        (paris(2026, 6, 2, 9, 0), 9, paris(2026, 6, 2, 18, 0)),
        (paris(2026, 6, 2, 17, 0), 2, paris(2026, 6, 3, 10, 0)),
        # Friday evening: over the weekend.
        (paris(2026, 6, 5, 17, 30), 1, paris(2026, 6, 8, 9, 30)),
        # A start outside the hours counts from the next opening.
        (paris(2026, 6, 2, 7, 0), 1, paris(2026, 6, 2, 10, 0)),
        (paris(2026, 6, 2, 20, 0), 1, paris(2026, 6, 3, 10, 0)),
        (paris(2026, 6, 6, 10, 0), 1, paris(2026, 6, 8, 10, 0)),  # a Saturday
        # Summer time starts on Sunday 29 March 2026, ends on Sunday 25 October 2026.
        (paris(2026, 3, 27, 17, 0), 2, paris(2026, 3, 30, 10, 0)),
        (paris(2026, 10, 23, 17, 0), 2, paris(2026, 10, 26, 10, 0)),
        # 1 May 2026 is a Friday; Ascension Thursday 14 May; Pentecost Monday 25 May.
        (paris(2026, 4, 30, 17, 0), 2, paris(2026, 5, 4, 10, 0)),
        (paris(2026, 5, 13, 17, 0), 2, paris(2026, 5, 15, 10, 0)),
        (paris(2026, 5, 22, 17, 0), 2, paris(2026, 5, 26, 10, 0)),
        # 80 hours from a Monday morning: 8 days of 9 hours and 8 hours (14 July on the way).
        (paris(2026, 7, 6, 9, 0), 80, paris(2026, 7, 17, 17, 0)),
    ],
)
def test_deadline_after_business_hours(start, hours, due):
    assert add_business_hours(start, hours) == due
    # Whatever the time zone the start is given in.
    assert add_business_hours(start.astimezone(UTC), hours) == due


def test_summer_time_changes_the_utc_hours_not_the_wall_clock():
    before = add_business_hours(paris(2026, 3, 27, 17, 0), 2)
    assert before.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 10:00 CEST
    after = add_business_hours(paris(2026, 10, 23, 17, 0), 2)
    assert after.astimezone(UTC) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # 10:00 CET


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (paris(2026, 6, 2, 10, 0), paris(2026, 6, 2, 12, 30), 2.5),
        (paris(2026, 6, 2, 6, 0), paris(2026, 6, 2, 22, 0), 9),
        (paris(2026, 6, 5, 17, 0), paris(2026, 6, 8, 10, 0), 2),  # over a weekend
        (paris(2026, 6, 6, 8, 0), paris(2026, 6, 7, 20, 0), 0),  # a weekend
        (paris(2026, 5, 1, 9, 0), paris(2026, 5, 1, 18, 0), 0),  # 1 May
        (paris(2026, 5, 25, 9, 0), paris(2026, 5, 25, 18, 0), 0),  # Pentecost Monday
        (paris(2026, 3, 27, 17, 0), paris(2026, 3, 30, 10, 0), 2),  # summer time starts
        (paris(2026, 10, 23, 17, 0), paris(2026, 10, 26, 10, 0), 2),  # and ends
        # Two weeks of May 2026: 8 May (Victoire) and 14 May (Ascension) are holidays.
        (paris(2026, 5, 4, 9, 0), paris(2026, 5, 18, 9, 0), 8 * 9),
        # A whole year: 261 weekdays in 2027, 8 holidays on weekdays (1 May, 8 May and
        # 15 August are Saturdays or Sundays... counted by the package).
        (paris(2027, 1, 1, 0, 0), paris(2028, 1, 1, 0, 0), None),
    ],
)
def test_business_time_between_two_instants(start, end, hours):
    if hours is None:
        days = sum(
            1 for offset in range(365) if is_business_day((start + timedelta(days=offset)).date())
        )
        hours = days * 9
        assert 245 <= days <= 255
    assert business_seconds(start, end) == hours * 3600
    assert business_seconds(end, start) == -hours * 3600


def test_holidays_and_weekends_are_not_business_days():
    assert not is_business_day(paris(2026, 5, 1).date())
    assert not is_business_day(paris(2026, 5, 14).date())  # Ascension
    assert not is_business_day(paris(2026, 5, 25).date())  # Pentecost Monday
    assert not is_business_day(paris(2026, 12, 25).date())
    assert not is_business_day(paris(2026, 6, 6).date())  # Saturday
    assert is_business_day(paris(2026, 6, 2).date())


def test_zero_is_the_start_and_backwards_is_refused():
    start = paris(2026, 6, 6, 10, 0)
    assert add_business_time(start, timedelta(0)) == start
    with pytest.raises(ValueError, match="forwards only"):
        add_business_time(start, timedelta(hours=-1))


instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001  (hypothesis wants naive bounds)
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(PARIS),
)


@settings(max_examples=200, deadline=None)
@given(start=instants, hours=st.floats(min_value=0.01, max_value=200))
def test_adding_then_measuring_gives_the_hours_back(start, hours):
    due = add_business_hours(start, hours)
    assert due > start
    assert business_seconds(start, due) == pytest.approx(hours * 3600, abs=1e-3)


def naive_deadline(start: datetime, hours: float) -> datetime:
    """Walked minute by minute over the business days: the reference for long spans."""
    left = round(hours * 60)
    current = start.astimezone(PARIS).replace(second=0, microsecond=0)
    while True:
        day = current.date()
        opening = datetime.combine(day, OPENS, tzinfo=PARIS)
        closing = datetime.combine(day, CLOSES, tzinfo=PARIS)
        if is_business_day(day) and current < closing:
            current = max(current, opening)
            available = int((closing - current).total_seconds() // 60)
            if left <= available:
                return current + timedelta(minutes=left)
            left -= available
        current = datetime.combine(day + timedelta(days=1), OPENS, tzinfo=PARIS)


@pytest.mark.parametrize("hours", [45, 46, 500, 2_000, 9 * 260 * 4 + 3])
def test_long_spans_equal_a_day_by_day_walk(hours):
    for start in (paris(2024, 2, 29, 11, 0), paris(2025, 12, 31, 17, 30), paris(2026, 5, 1, 8)):
        due = add_business_hours(start, hours)
        assert due == naive_deadline(start, hours)
        assert business_seconds(start, due) == hours * 3600
