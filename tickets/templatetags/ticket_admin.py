"""The admin index's « who is waiting on whom » board (tickets.dashboard)."""

from __future__ import annotations

from django import template

from ..dashboard import Board, waiting_board

register = template.Library()


@register.simple_tag
def ticket_board() -> Board:
    return waiting_board()
