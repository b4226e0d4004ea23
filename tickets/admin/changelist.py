"""The ticket list: its filters, its columns, and the time spent summed for the page only.

The list stays a bounded number of queries whatever the page size: the page's tickets come with
their organisation, category, handler and reporter (one query), and the time spent is summed for
the page's ids only (one more query, see TicketChangeList). It stays usable with 200,000 tickets:
no full count (show_full_result_count), no facet counts, the default filter (open tickets,
newest change first) follows the (state, -updated_at) index, and the paginator's count runs on
the ticket table alone (no annotation, no join, unless a search on the organisation asks one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from atm_support.minutes import format_minutes

from ..models import OPEN_STATES, Note, State, Ticket


class StateFilter(admin.SimpleListFilter):
    """Open tickets by default (Fermé hidden, as in the portal); « Tous » shows them too."""

    title = _("état")
    parameter_name = "state"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*State.choices, (self.ALL, _("Tous, fermés compris"))]

    def choices(self, changelist: Any) -> Iterator[Any]:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": gettext("Ouverts (tous sauf Fermé)"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        value = self.value()
        if value is None:
            # An IN list, not `<> closed`: PostgreSQL then reads the (state, -updated_at) index.
            return queryset.filter(state__in=OPEN_STATES)
        if value in State.values:
            return queryset.filter(state=value)
        return queryset


class HandlerFilter(admin.SimpleListFilter):
    title = _("affecté à")
    parameter_name = "handler"
    MINE = "me"
    NOBODY = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        technicians = User.objects.filter(is_staff=True, is_active=True).order_by(
            "first_name", "last_name", "email"
        )
        return [
            (self.MINE, _("Moi")),
            (self.NOBODY, _("Personne (non affectés)")),
            *[(str(user.pk), str(user)) for user in technicians],
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        value = self.value()
        if value == self.MINE:
            return queryset.filter(handler_id=request.user.pk)
        if value == self.NOBODY:
            return queryset.filter(handler__isnull=True)
        if value and value.isdigit():
            return queryset.filter(handler_id=int(value))
        return queryset


class TicketChangeList(ChangeList):
    """Adds each ticket's time spent, summed over the page's tickets only.

    Annotating the changelist's queryset with Sum("notes__minutes_spent") would GROUP BY every
    ticket matching the filters, and the paginator's COUNT would then wrap that grouped join:
    seconds with 200,000 tickets. Here the page is read first, then one query sums its notes
    (the (ticket, created_at) index finds them).
    """

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        tickets = list(self.result_list)
        totals = dict(
            Note.objects.filter(ticket_id__in=[ticket.pk for ticket in tickets])
            .values_list("ticket_id")
            .annotate(total=Sum("minutes_spent"))
            .order_by()
        )
        for ticket in tickets:
            ticket.minutes_total = totals.get(ticket.pk, 0)
        self.result_list = tickets


class TicketListAdmin(admin.ModelAdmin[Ticket]):
    """The ticket admin's list: columns, filters, search and the page's time spent."""

    list_display = [
        "display_number",
        "organisation",
        "summary",
        "state_badge",
        "priority",
        "impact",
        "category",
        "handler",
        "reporter",
        "last_update",
        "time_spent",
        "is_private",
    ]
    list_display_links = ["display_number", "summary"]
    list_filter = [
        StateFilter,
        HandlerFilter,
        "organisation",
        "category",
        "priority",
        "impact",
        "resolution",
        "is_private",
    ]
    list_select_related = ["organisation", "category", "handler", "reporter"]
    # `number__exact` skips a term that is not a number ("abc"), and reads « 0000123 » as 123.
    search_fields = ["number__exact", "summary", "organisation__name"]
    search_help_text = _("Numéro (0000123 ou 123), mots du résumé ou nom de l'organisation.")
    ordering = ["-updated_at"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = ShowFacets.NEVER  # a count per filter choice: too slow on a large table

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TicketChangeList

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Eleven columns and the filters need the whole width: no navigation sidebar here.
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        # « #123 » is how people write a ticket number.
        term = " ".join(bit.lstrip("#") for bit in search_term.split())
        return super().get_search_results(request, queryset, term)

    @admin.display(description=_("n°"), ordering="number")
    def display_number(self, obj: Ticket) -> str:
        return obj.display_number

    @admin.display(description=_("état"), ordering="state")
    def state_badge(self, obj: Ticket) -> SafeString:
        return format_html(
            '<span class="state state-{}">{}</span>', obj.state, obj.get_state_display()
        )

    @admin.display(description=_("mis à jour"), ordering="updated_at")
    def last_update(self, obj: Ticket) -> str:
        return date_format(timezone.localtime(obj.updated_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("temps passé"))
    def time_spent(self, obj: Ticket) -> str:
        return format_minutes(getattr(obj, "minutes_total", 0), time_spent=True)
