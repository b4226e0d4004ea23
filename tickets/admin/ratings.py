"""The clients' ratings of a ticket (tickets.satisfaction), on its admin page: the technician
reads them where they work the ticket, not only in the month's time report."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Ticket
from .change_form import ticket_display


@ticket_display
@admin.display(description=_("avis des clients"))
def ratings_shown(ticket: Ticket) -> SafeString | str:
    ratings = list(ticket.ratings.select_related("user").order_by("created_at"))
    if not ratings:
        return "—"
    return format_html_join(
        mark_safe("<br>"),
        "{} : <strong>{}</strong>{}",
        (
            (
                rating.user,
                gettext("satisfait") if rating.satisfied else gettext("pas satisfait"),
                format_html(" — « {} »", rating.comment) if rating.comment else "",
            )
            for rating in ratings
        ),
    )
