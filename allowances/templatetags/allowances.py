from __future__ import annotations

from django import template

from atm_support.minutes import format_minutes

register = template.Library()


@register.filter
def minutes(value: int | None) -> str:
    """90 → « 1 h 30 »; -30 → « -0 h 30 »."""
    return "—" if value is None else format_minutes(int(value))


@register.filter
def signed_minutes(value: int | None) -> str:
    """90 → « +1 h 30 »: a movement of the ledger."""
    return "—" if value is None else format_minutes(int(value), signed=True)
