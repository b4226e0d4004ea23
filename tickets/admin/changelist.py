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
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from atm_support.minutes import format_minutes

from .. import targets
from ..business_hours import add_business_time
from ..models import OPEN_STATES, Note, State, Ticket
from ..search import text_search, typed_number
from . import queues


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


class TargetFilter(admin.SimpleListFilter):
    """The response targets (tickets/targets.py): the running deadline passed, or close.

    One condition on the deadline kept on the ticket (`due_at`, index ticket_due), whatever the
    number of tickets; « Bientôt dépassés » is « less than 2 business hours left », that is a
    deadline before now + 2 business hours.
    """

    title = _("délai")
    parameter_name = "target"
    LATE = "late"
    SOON = "soon"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(self.LATE, _("Dépassés")), (self.SOON, _("Bientôt dépassés (moins de 2 h)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        now = timezone.now()
        running = queryset.filter(state__in=targets.RUNNING_STATES)
        if self.value() == self.LATE:
            return running.filter(due_at__lt=now)
        if self.value() == self.SOON:
            return running.filter(due_at__gte=now, due_at__lt=add_business_time(now, targets.SOON))
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    """Who the ticket waits on: the team (its clock runs) or the client (Commentaire)."""

    title = _("en attente")
    parameter_name = "waiting"
    TEAM = "team"
    CLIENT = "client"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(self.TEAM, _("En attente de l'équipe")), (self.CLIENT, _("En attente du client"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.value() == self.TEAM:
            return queryset.filter(state__in=targets.RUNNING_STATES)
        if self.value() == self.CLIENT:
            return queryset.filter(state=State.FEEDBACK)
        return queryset


def _ago(delta_seconds: float) -> str:
    """A ticket's age, in calendar time: « 12 min », « 5 h », « 3 j »."""
    minutes = int(delta_seconds // 60)
    if minutes < 60:
        return gettext("%(count)s min") % {"count": max(minutes, 0)}
    if minutes < 48 * 60:
        return gettext("%(count)s h") % {"count": minutes // 60}
    return gettext("%(count)s j") % {"count": minutes // (24 * 60)}


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
        now = timezone.now()
        for ticket in tickets:
            ticket.minutes_total = totals.get(ticket.pk, 0)
            # The page's rows only (50), never every ticket: the filters read `due_at`.
            ticket.target_left = targets.remaining(ticket, now)
            ticket.age_seconds = (now - ticket.created_at).total_seconds()
        self.result_list = tickets


class TicketListAdmin(admin.ModelAdmin[Ticket]):
    """The ticket admin's list: columns, filters, search and the page's time spent."""

    # Fourteen things to show in a 1280 px window beside the filters: the organisation and its
    # reporter share a cell, and so do the priority and the impact (tests/e2e/test_desk.py
    # checks that the columns fit).
    list_display = [
        "display_number",
        "organisation_reporter",
        "summary",
        "state_badge",
        "age",
        "time_left",
        "priority_impact",
        "category",
        "handler",
        "last_update",
        "time_spent",
        "is_private",
    ]
    list_display_links = ["display_number", "summary"]
    list_filter = [
        StateFilter,
        TargetFilter,
        WaitingFilter,
        HandlerFilter,
        "organisation",
        "category",
        "priority",
        "impact",
        "resolution",
        "is_private",
    ]
    list_select_related = ["organisation", "category", "handler", "reporter"]
    # Shows the box; get_search_results does the search (the portal's full-text one and more).
    search_fields = ["number__exact", "summary", "organisation__name"]
    search_help_text = _(
        "Numéro (0000123 ou 123), mots du résumé, de la description ou des notes, "
        "organisation, rapporteur (nom ou e-mail)."
    )
    ordering = ["-updated_at"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = ShowFacets.NEVER  # a count per filter choice: too slow on a large table

    class Media:
        css = {"all": ["css/ticket_desk.css"]}

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TicketChangeList

    def get_urls(self) -> list[URLPattern]:
        return queues.urls(self) + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Eleven columns and the filters need the whole width: no navigation sidebar here.
        extra_context = {
            "is_nav_sidebar_enabled": False,
            **queues.context(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        """The portal's full-text search (number, summary, description, public notes: its GIN
        indexes, tickets/search.py), or an organisation or a reporter whose name or e-mail
        holds every word. Subqueries on the two small tables: no join for the paginator."""
        term = " ".join(bit.lstrip("#") for bit in search_term.split())  # « #123 »
        if not term:
            return queryset, False
        by_people = Q()
        for word in term.split():
            organisations = Organisation.objects.filter(name__icontains=word).values("pk")
            reporters = User.objects.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            ).values("pk")
            by_people &= Q(organisation_id__in=organisations) | Q(reporter_id__in=reporters)
        by_text = text_search(queryset.model.objects.all(), term)
        if typed_number(term) is not None:
            # A ticket number, not a piece of an e-mail address (« client12@… »).
            return queryset.filter(pk__in=by_text.values("pk")), False
        return queryset.filter(Q(pk__in=by_text.values("pk")) | by_people), False

    @admin.display(description=_("n°"), ordering="number")
    def display_number(self, obj: Ticket) -> str:
        return obj.display_number

    @admin.display(description=_("état"), ordering="state")
    def state_badge(self, obj: Ticket) -> SafeString:
        badge = format_html(
            '<span class="state state-{}">{}</span>', obj.state, obj.get_state_display()
        )
        if targets.client_replied(obj):
            # The client wrote after the team's last public note.
            return format_html(
                '{} <span class="client-replied">{}</span>', badge, gettext("réponse client")
            )
        return badge

    @admin.display(description=_("organisation · rapporteur"), ordering="organisation__name")
    def organisation_reporter(self, obj: Ticket) -> SafeString:
        return format_html(
            '{}<small class="cell-second">{}</small>', obj.organisation, obj.reporter
        )

    @admin.display(description=_("priorité · impact"), ordering="priority")
    def priority_impact(self, obj: Ticket) -> SafeString:
        return format_html(
            '{}<small class="cell-second">{}</small>',
            obj.get_priority_display(),
            obj.get_impact_display(),
        )

    @admin.display(description=_("âge"), ordering="-created_at")
    def age(self, obj: Ticket) -> SafeString:
        created = date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")
        return format_html(
            '<span title="{}">{}</span>',
            gettext("Créé le %(date)s") % {"date": created},
            _ago(getattr(obj, "age_seconds", 0)),
        )

    @admin.display(description=_("délai"), ordering="due_at")
    def time_left(self, obj: Ticket) -> SafeString | str:
        left = getattr(obj, "target_left", None)
        if left is None:
            return format_html('<span class="target target-none">{}</span>', gettext("—"))
        what = gettext("réponse") if left.kind == "answer" else gettext("résolution")
        if left.late:
            css = "target-late"
            said = gettext("dépassé de %(time)s") % {"time": targets.format_business(left.seconds)}
        else:
            css = "target-soon" if left.soon else "target-ok"
            said = gettext("reste %(time)s") % {"time": targets.format_business(left.seconds)}
        due = date_format(timezone.localtime(obj.due_at), "SHORT_DATETIME_FORMAT")
        return format_html(
            '<span class="target {}" title="{}">{}<small>{}</small></span>',
            css,
            gettext("%(what)s attendue avant le %(date)s (heures ouvrées)")
            % {"what": what.capitalize(), "date": due},
            said,
            what,
        )

    @admin.display(description=_("mis à jour"), ordering="updated_at")
    def last_update(self, obj: Ticket) -> str:
        return date_format(timezone.localtime(obj.updated_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("temps passé"))
    def time_spent(self, obj: Ticket) -> str:
        return format_minutes(getattr(obj, "minutes_total", 0), time_spent=True)
