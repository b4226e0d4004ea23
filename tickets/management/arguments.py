"""Command-line values checked with a message in French, for the tickets' commands."""

from __future__ import annotations

from django.core.management.base import CommandError


def positive_count(value: str, *, option: str, unit: str, units: str) -> int:
    """`value` as a whole number ≥ 1 of `units` (« 3 » days), or a CommandError saying why."""
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"{option} attend un nombre {units}, pas {value!r}.") from None
    if number < 1:
        raise CommandError(f"{option} attend au moins 1 {unit}, pas {number}.")
    return number
