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


def business_seconds(start: datetime, end: datetime) -> float:
    """The business time from `start` to `end`, in seconds; negative when `end` is before."""
    if end < start:
        return -business_seconds(end, start)
    first = start.astimezone(PARIS).date()
    last = end.astimezone(PARIS).date()
    if first == last:
        return _seconds_of_day(first, start, end)
    total = _seconds_of_day(first, start, end) + _seconds_of_day(last, start, end)
    day = first + timedelta(days=1)
    # Whole weeks first: 5 days of 9 hours, less the holidays that fall on a weekday.
    while (last - day).days >= 7:
        week = [day + timedelta(days=offset) for offset in range(7)]
        total += DAY_SECONDS * sum(1 for d in week if is_business_day(d))
        day += timedelta(days=7)
    while day < last:
        if is_business_day(day):
            total += DAY_SECONDS
        day += timedelta(days=1)
    return total


def business_time(start: datetime, end: datetime) -> timedelta:
    """business_seconds as a timedelta."""
    return timedelta(seconds=business_seconds(start, end))


def add_business_time(start: datetime, duration: timedelta) -> datetime:
    """The instant `duration` of business time after `start` (in Paris' time zone).

    A start outside business hours counts from the next opening. A deadline that falls exactly
    at a closing stays there (« 18:00 »), not at the next opening: the same business instant.
    A zero duration gives `start` itself.
    """
    remaining = duration.total_seconds()
    if remaining < 0:
        raise ValueError("add_business_time counts forwards only")
    current = start.astimezone(PARIS)
    if remaining == 0:
        return current
    day = current.date()
    while True:
        if is_business_day(day):
            lower = max(current, _opening(day))
            closing = _closing(day)
            if lower < closing:
                available = (closing - lower).total_seconds()
                if remaining <= available:
                    # Wall-clock arithmetic inside one day: no summer-time change falls in 9 to 18.
                    return (lower + timedelta(seconds=remaining)).astimezone(PARIS)
                remaining -= available
        day += timedelta(days=1)
        current = _opening(day)


def add_business_hours(start: datetime, hours: float) -> datetime:
    return add_business_time(start, timedelta(hours=hours))
