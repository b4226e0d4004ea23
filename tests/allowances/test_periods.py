"""Months are Paris months: DST changes, 29 February and the last second of a month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allowances.periods import (
    PARIS,
    PeriodError,
    next_period,
    parse_period,
    period_end,
    period_of,
    period_start,
    periods_between,
    previous_period,
)

# Hypothesis takes naive bounds and makes each instant aware with `timezones`.
instants = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
months = st.builds(date, st.integers(2000, 2100), st.integers(1, 12), st.just(1))


@given(instants)
def test_every_instant_lies_in_its_paris_month(moment: datetime) -> None:
    period = period_of(moment)
    assert period_start(period) <= moment < period_end(period)
    local = moment.astimezone(PARIS)
    assert (period.year, period.month) == (local.year, local.month)


@given(months)
def test_months_follow_each_other_without_gap(period: date) -> None:
    assert previous_period(next_period(period)) == period
    assert next_period(previous_period(period)) == period
    assert period_end(period) == period_start(next_period(period))
    # The instant just before a month starts belongs to the previous one.
    assert period_of(period_start(period) - timedelta(microseconds=1)) == previous_period(period)
    assert period_of(period_start(period)) == period


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # 31 March 2024, DST day (02:00 → 03:00): 23:59:59 CEST is 21:59:59 UTC.
        (datetime(2024, 3, 31, 21, 59, 59, tzinfo=UTC), date(2024, 3, 1)),
        (datetime(2024, 3, 31, 22, 0, 0, tzinfo=UTC), date(2024, 4, 1)),
        # 31 October 2021 ends winter time's change day (03:00 → 02:00): 23:59:59 CET.
        (datetime(2021, 10, 31, 22, 59, 59, tzinfo=UTC), date(2021, 10, 1)),
        (datetime(2021, 10, 31, 23, 0, 0, tzinfo=UTC), date(2021, 11, 1)),
        # 29 February 2024, a leap day, last second, then 1 March.
        (datetime(2024, 2, 29, 22, 59, 59, tzinfo=UTC), date(2024, 2, 1)),
        (datetime(2024, 2, 29, 23, 0, 0, tzinfo=UTC), date(2024, 3, 1)),
        # New Year's Eve: 23:30 UTC is already January in Paris.
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), date(2026, 1, 1)),
    ],
)
def test_month_boundaries_in_paris(utc: datetime, expected: date) -> None:
    assert period_of(utc) == expected


def test_period_starts_carry_the_offset_of_their_season() -> None:
    assert period_start(date(2026, 1, 1)).utcoffset() == timedelta(hours=1)
    assert period_start(date(2026, 4, 1)).utcoffset() == timedelta(hours=2)

    # A month that contains the DST change is an hour shorter (March) or longer (October).
    # (Subtracting two datetimes of one tzinfo compares wall clocks: go through UTC.)
    def length(period: date) -> timedelta:
        return period_end(period).astimezone(UTC) - period_start(period).astimezone(UTC)

    assert length(date(2026, 3, 1)) == timedelta(days=31, hours=-1)
    assert length(date(2026, 10, 1)) == timedelta(days=31, hours=1)
    assert length(date(2024, 2, 1)) == timedelta(days=29)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-03", "2026/03", "mars", ""])
def test_badly_written_months_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_periods_between_includes_both_ends() -> None:
    assert periods_between(date(2025, 11, 1), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert periods_between(date(2026, 2, 1), date(2026, 1, 1)) == []
