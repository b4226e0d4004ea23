"""Business hours: Monday to Friday, 9:00 to 18:00 in Paris, French public holidays excluded.

The response targets (tickets/targets.py) count in these hours: a ticket opened on Friday at
17:30 with a 1 h target is due on Monday at 9:30 (Tuesday if Monday is Pentecost Monday).

Pure functions of aware datetimes. Days are walked in Paris' local time, so a day is always
9:00 to 18:00 on the wall clock, whatever the change to or from summer time does to UTC. The
holidays come from the `holidays` package (metropolitan France: 1 May, Ascension, Pentecost
Monday…), read once per year.
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
OPENS = time(9, 0)
CLOSES = time(18, 0)
DAY_SECONDS = (CLOSES.hour - OPENS.hour) * 3600  # 9 business hours a day


@functools.cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def _opening(day: date) -> datetime:
    return datetime.combine(day, OPENS, tzinfo=PARIS)


def _closing(day: date) -> datetime:
    return datetime.combine(day, CLOSES, tzinfo=PARIS)


def _seconds_of_day(day: date, start: datetime, end: datetime) -> float:
    """The business seconds of `day` between `start` and `end` (start <= end)."""
    if not is_business_day(day):
        return 0.0
    lower = max(start, _opening(day))
    upper = min(end, _closing(day))
    return max(0.0, (upper - lower).total_seconds())


@functools.cache
def _year_counts(year: int) -> tuple[int, ...]:
    """counts[i]: the business days of `year` before its day i (0-based), i up to its length."""
    first = date(year, 1, 1).toordinal()
    length = date(year + 1, 1, 1).toordinal() - first
    counts = [0]
    for offset in range(length):
        counts.append(counts[-1] + is_business_day(date.fromordinal(first + offset)))
    return tuple(counts)


@functools.cache
def _before_year(year: int) -> int:
    """Business days from 1 January 1970 to the start of `year` (negative before 1970)."""
    if year == 1970:
        return 0
    if year > 1970:
        return _before_year(year - 1) + _year_counts(year - 1)[-1]
    return _before_year(year + 1) - _year_counts(year)[-1]


def _business_days_before(day: date) -> int:
    """Business days from 1 January 1970 up to `day`, excluded: any span is a subtraction."""
    index = day.toordinal() - date(day.year, 1, 1).toordinal()
    return _before_year(day.year) + _year_counts(day.year)[index]


def business_seconds(start: datetime, end: datetime) -> float:
    """The business time from `start` to `end`, in seconds; negative when `end` is before."""
    if end < start:
        return -business_seconds(end, start)
    first = start.astimezone(PARIS).date()
    last = end.astimezone(PARIS).date()
    if first == last:
        return _seconds_of_day(first, start, end)
    between = _business_days_before(last) - _business_days_before(first + timedelta(days=1))
    return (
        _seconds_of_day(first, start, end)
        + _seconds_of_day(last, start, end)
        + DAY_SECONDS * between
    )


def business_time(start: datetime, end: datetime) -> timedelta:
    """business_seconds as a timedelta."""
    return timedelta(seconds=business_seconds(start, end))


def _nth_business_day(first: date, n: int) -> date:
    """The business day that has `n` business days between `first` (included) and it."""
    wanted = _business_days_before(first) + n
    low, high = first, first + timedelta(days=2 * n + 60)
    # The smallest day D >= first with wanted + 1 business days before D + 1: a business day.
    while low < high:
        middle = low + timedelta(days=(high - low).days // 2)
        if _business_days_before(middle + timedelta(days=1)) >= wanted + 1:
            high = middle
        else:
            low = middle + timedelta(days=1)
    return low


def add_business_time(start: datetime, duration: timedelta) -> datetime:
    """The instant `duration` of business time after `start` (in Paris' time zone).

    A start outside business hours counts from the next opening. A deadline that falls exactly
    at a closing stays there (« 18:00 »), not at the next opening: the same business instant.
    A zero duration gives `start` itself. Years of business time cost no more than an hour:
    whole days are counted from a table of each year's business days.
    """
    remaining = duration.total_seconds()
    if remaining < 0:
        raise ValueError("add_business_time counts forwards only")
    current = start.astimezone(PARIS)
    if remaining == 0:
        return current
    day = current.date()
    if is_business_day(day):
        lower = max(current, _opening(day))
        closing = _closing(day)
        if lower < closing:
            available = (closing - lower).total_seconds()
            if remaining <= available:
                # Wall-clock arithmetic inside one day: no summer-time change falls in 9 to 18.
                return (lower + timedelta(seconds=remaining)).astimezone(PARIS)
            remaining -= available
    # From the next day on: whole business days, then what is left of the last one.
    whole = math.ceil(remaining / DAY_SECONDS) - 1
    last = _nth_business_day(day + timedelta(days=1), whole)
    left = remaining - whole * DAY_SECONDS
    return (_opening(last) + timedelta(seconds=left)).astimezone(PARIS)


def add_business_hours(start: datetime, hours: float) -> datetime:
    return add_business_time(start, timedelta(hours=hours))
