"""The rows of the ticket tables, built in Python: the list's 50 rows and Mon affichage's 70 cost
~0.3 ms each through the template engine (20 lookups, filters and tags per row), a tenth of that
here. Every value is escaped as {{ }} would (`_text`); labels and dates are written by
tickets/display.py, as everywhere else."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from ..display import value_label, when
from ..models import CHOICE_LABELS
from ..rows import TicketRow
from ..search import COLUMNS

register = template.Library()

HANDLER_NONE = SafeString('<span class="text-muted">—</span>')


def choice_labels(field: str) -> dict[Any, SafeString]:
    """A choice field's labels as a row writes them (value_label, escaped), in the active
    language: translated once per table, not once per row. A value without a label (none
    today) is written as it is stored, escaped."""
    return {
        value: conditional_escape(value_label(str(label)))
        for value, label in CHOICE_LABELS[field].items()
    }


LIST_ROW = (
    '<tr class="tl-row state-{0}">'
    '<td class="tl-number"><a href="{1}">{2}</a></td>'
    '<td class="tl-state"><span class="state state-{0}">{3}</span></td>'
    '<td class="tl-extra d-none d-md-table-cell" data-label="{12}">{4}</td>'
    '<td class="tl-extra d-none d-md-table-cell" data-label="{13}">{5}</td>'
    '<td class="tl-summary"><a href="{1}" tabindex="-1">{6}</a></td>'
    '<td class="tl-extra d-none d-md-table-cell" data-label="{14}">{7}</td>'
    '<td class="tl-updated text-nowrap" data-label="{11}"><time datetime="{8}">{9}</time></td>'
    '<td class="tl-extra tl-notes text-end d-none d-md-table-cell" data-label="{15}">{10}</td>'
    "</tr>"
)


def _text(value: object) -> str:
    """`value` escaped as {{ }} and format_html escape it (Django's escape is html.escape; called
    here directly, without the lazy-text check it makes on each call: 800 values a list)."""
    return value if isinstance(value, SafeString) else escape(str(value))


@register.simple_tag
def list_rows(tickets: Iterable[TicketRow]) -> SafeString:
    """« Afficher les tickets »: number, state, priority, category, summary, handler, updated,
    public notes (the columns of tickets.search.COLUMNS). Below 992 px the same cells are laid out
    as a card (portal.css, « phone cards »): the classes name their place, data-label their caption
    (the column's heading)."""
    # The captions are the same on every row: escaped once here, not once per row.
    label = {column.key: conditional_escape(column.label) for column in COLUMNS}
    captions = [label[key] for key in ("updated_at", "priority", "category", "handler", "notes")]
    states, priorities = choice_labels("state"), choice_labels("priority")
    rows = (
        LIST_ROW.format(
            _text(t.state),
            t.get_absolute_url(),
            t.display_number,
            states.get(t.state) or _text(t.state),
            priorities.get(t.priority) or _text(t.priority),
            _text(value_label(t.category_name)),
            _text(t.summary),
            _text(t.handler_name) if t.handler_id else HANDLER_NONE,
            t.updated_at.isoformat(),
            when(t.updated_at),
            t.public_note_count,
            *captions,
        )
        for t in tickets
    )
    return SafeString("\n".join(rows))


BOX_ROW = (
    '<tr class="state-row state-{0}">'
    '<td class="tt-number"><a href="{1}">{2}</a></td>'
    '<td class="tt-state">{3}{4}</td>'
    '<td class="summary">{5}</td>'
    '<td class="d-none d-xxl-table-cell">{6}</td>'
    '<td class="tt-updated text-nowrap" data-label="{8}">{7}</td>'
    "</tr>"
)


@register.simple_tag
def box_rows(tickets: Iterable[TicketRow]) -> SafeString:
    """Accueil's and Mon affichage's boxes: number, state (and handler when Affecté), summary,
    category, updated; a card on a phone, as list_rows."""
    updated = conditional_escape(gettext("Mis à jour"))  # escaped once, not per row
    states = choice_labels("state")
    rows = (
        BOX_ROW.format(
            _text(t.state),
            t.get_absolute_url(),
            t.display_number,
            states.get(t.state) or _text(t.state),
            f' <span class="handler">({_text(t.handler_name)})</span>'
            if t.handler_id and t.state == "assigned"
            else "",
            _text(t.summary),
            _text(value_label(t.category_name)),
            when(t.updated_at),
            updated,
        )
        for t in tickets
    )
    return SafeString("\n".join(rows))
