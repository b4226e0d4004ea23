"""Templates write values and moments through tickets/display.py: `{{ note.created_at|when }}`,
`{{ entry.created_at|day }}`, `{{ ticket.category|value_label }}`."""

from __future__ import annotations

from django import template

from .. import display

register = template.Library()

register.filter("when", display.when)
register.filter("day", display.day)
register.filter("value_label", display.value_label)
