"""Minutes as people read them, one writer for every app (amounts are integer minutes).

Two readings, chosen by the caller:
- a balance or an allowance (the default): « 1 h 30 », « 0 h 45 », « 0 h », and « 2 h » after
  MINUS when negative; with `signed`, a « + » before a positive amount (a credit);
- the time spent on a ticket (`time_spent=True`): « 1 h 15 », « 40 min », and « — » for none,
  as the ticket desk's list and page show it.
"""

from __future__ import annotations

MINUS = "\u2212"  # a real minus sign: a hyphen is easy to miss in a balance


def format_minutes(minutes: int, *, signed: bool = False, time_spent: bool = False) -> str:
    minutes = int(minutes)
    if time_spent and not minutes:
        return "—"
    sign = MINUS if minutes < 0 else ("+" if signed and minutes > 0 else "")
    hours, rest = divmod(abs(minutes), 60)
    if time_spent and not hours:
        return f"{sign}{rest} min"
    return f"{sign}{hours} h {rest:02d}" if rest else f"{sign}{hours} h"


def decimal_hours(minutes: int) -> str:
    """For spreadsheets: 90 → "1,50" (French decimal comma, two decimals, exact for quarters)."""
    sign = "-" if minutes < 0 else ""
    hundredths = round(abs(int(minutes)) * 100 / 60)
    return f"{sign}{hundredths // 100},{hundredths % 100:02d}"
