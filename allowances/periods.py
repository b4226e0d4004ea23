"""Months of the contract, always computed in Europe/Paris whatever the server's time zone.

A period is the `date` of its first day. It starts at midnight, Paris time, on that day: a ticket
resolved at 23:59:59 on the 31st (Paris) belongs to that month, one resolved a second later to the
next. Midnight is never in a DST gap in France (the clocks change at 2 or 3 am), so every period
start exists exactly once; zoneinfo gives it the right offset (+01:00 in winter, +02:00 in summer).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format

PARIS = ZoneInfo("Europe/Paris")
PERIOD_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A month written wrongly (the message is for the person who typed it)."""


def period_of(moment: datetime) -> date:
    """The month `moment` falls in, in Paris."""
    local = moment.astimezone(PARIS)
    return date(local.year, local.month, 1)


def current_period(now: datetime | None = None) -> date:
    return period_of(now or timezone.now())


def next_period(period: date) -> date:
    return date(period.year + period.month // 12, period.month % 12 + 1, 1)


def previous_period(period: date) -> date:
    return date(period.year - (period.month == 1), (period.month - 2) % 12 + 1, 1)


def period_start(period: date) -> datetime:
    """The first instant of the month: midnight in Paris on its first day (an aware datetime)."""
    return datetime(period.year, period.month, 1, tzinfo=PARIS)


def period_end(period: date) -> datetime:
    """The first instant after the month (excluded): the start of the next one."""
    return period_start(next_period(period))


def parse_period(text: str) -> date:
    """`YYYY-MM` → the month's first day."""
    match = PERIOD_PATTERN.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise PeriodError(f"Mois attendu au format AAAA-MM (par exemple 2026-03), pas {text!r}.")
    return date(int(match.group(1)), int(match.group(2)), 1)


def format_period(period: date) -> str:
    """`2026-03`: in URLs, file names and commands."""
    return f"{period:%Y-%m}"


def period_label(period: date) -> str:
    """« mars 2026 » / "March 2026", in the active language."""
    return date_format(period, "F Y")


def periods_between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included (empty when first > last)."""
    months = []
    period = date(first.year, first.month, 1)
    while period <= last:
        months.append(period)
        period = next_period(period)
    return months
