"""Minutes as people read them: « 1 h 30 », « 0 h 45 », « -2 h »."""

from __future__ import annotations

MINUS = "\u2212"  # a real minus sign: a hyphen is easy to miss in a balance


def format_minutes(minutes: int, *, signed: bool = False) -> str:
    sign = MINUS if minutes < 0 else ("+" if signed and minutes > 0 else "")
    hours, rest = divmod(abs(int(minutes)), 60)
    return f"{sign}{hours} h {rest:02d}" if rest else f"{sign}{hours} h"


def decimal_hours(minutes: int) -> str:
    """For spreadsheets: 90 → "1,50" (French decimal comma, two decimals, exact for quarters)."""
    sign = "-" if minutes < 0 else ""
    hundredths = round(abs(int(minutes)) * 100 / 60)
    return f"{sign}{hundredths // 100},{hundredths % 100:02d}"
