"""« Afficher les tickets »: the whole list with filters, sorting, pages and CSV export.

Everything lives in the query string (filters, `sort`, `page`; `format=csv` for the export), so a
view can be bookmarked or shared. The list always starts from `tickets_visible_to(user)`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import client_required
from accounts.models import User
from atm_support import pagecache

from ..display import value_label, when
from ..models import Impact, Priority, State, Ticket
from ..paging import IdsFirstPaginator
from ..rows import rows_of
from ..search import (
    COLUMNS,
    DEFAULT_SORT,
    OPEN_STATES,
    DateOf,
    TicketFilterForm,
    apply_sort,
    filter_tickets,
    parse_sort,
    sort_value,
    with_closed_switch,
)
from ..selectors import tickets_visible_to

PER_PAGE = 50
NARROW_HIDDEN = frozenset({"priority", "category", "handler", "notes"})


@dataclass(frozen=True)
class Header:
    """One column heading: its label and, when sortable, the link that sorts by it."""

    key: str
    label: str
    url: str | None = None
    aria_sort: str | None = None  # "ascending" / "descending" on the sorted column only
    hint: str = ""  # what the link does, for screen readers


@dataclass(frozen=True)
class PageLink:
    label: str
    url: str | None  # None: the ellipsis
    current: bool = False


def with_params(params: QueryDict, **changes: str | None) -> str:
    """The query string of the current view with some parameters changed (None drops one)."""
    query = params.copy()
    query.pop("format", None)
    for key in list(query):  # the form's empty fields: shorter links, same meaning
        if not any(value.strip() for value in query.getlist(key)):
            del query[key]
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def page_number(value: str | None, paginator: Paginator[Ticket]) -> int:
    """A garbage page is the first one, a page past the end the last one: never a 404."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), paginator.num_pages)


def headers(params: QueryDict, sort_key: str, descending: bool) -> list[Header]:
    result = []
    for column in COLUMNS:
        label = str(column.label)
        if column.sort is None:
            result.append(Header(column.key, label))
            continue
        if column.key == sort_key:
            aria: str | None = "descending" if descending else "ascending"
            next_descending = not descending
        else:
            aria, next_descending = None, column.first_descending
        hint = (
            _("trier par ordre décroissant") if next_descending else _("trier par ordre croissant")
        )
        url = with_params(params, sort=sort_value(column.key, next_descending), page=None)
        result.append(Header(column.key, label, url, aria, hint))
    return result


def page_links(params: QueryDict, page: Page[Ticket]) -> list[PageLink]:
    links = []
    paginator = page.paginator
    for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == paginator.ELLIPSIS:
            links.append(PageLink(str(number), None))
        else:
            url = with_params(params, page=str(number))
            links.append(PageLink(str(number), url, current=number == page.number))
    return links


def with_states(params: QueryDict, states: list[str]) -> str:
    """The current view with these states checked, from its first page."""
    query = params.copy()
    query.setlist("state", states)
    return with_params(query, page=None)


def _sort_parameter(params: QueryDict, name: str) -> list[str]:
    key, descending = parse_sort(params.get(name))
    return [] if (key, descending) == DEFAULT_SORT else [sort_value(key, descending)]


def _page_parameter(params: QueryDict, name: str) -> list[str]:
    """As page_number reads it: garbage is the first page. A page past the end is the last one,
    known only once the tickets are counted: that page is not kept (see ticket_list)."""
    try:
        number = int(str(params.get(name)).strip())
    except ValueError:
        return []
    return [str(number)] if number > 1 else []


# What the list reads from its query string: the page cache keys it on these alone, normalised,
# and the page is rendered from the normalised query (atm_support/pagecache.py). `format` is the CSV
# export's, never kept.
LIST_PARAMETERS = {
    **pagecache.form_parameters(
        TicketFilterForm,
        per_request=("category", "reporter"),
        defaults={"date_of": DateOf.CREATED},
    ),
    "sort": _sort_parameter,
    "page": _page_parameter,
}
_state_boxes = LIST_PARAMETERS["state"]


def _state_parameter(params: QueryDict, name: str) -> list[str]:
    """An old bookmark's `closed=on` is the « Fermé » box: same key, same page as the new
    spelling, whose links the page then shows."""
    return _state_boxes(with_closed_switch(params), name)


LIST_PARAMETERS["state"] = _state_parameter


@client_required
def ticket_list(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    if request.GET.get("format") == "csv":
        return csv_export(
            ListQuery(pagecache.normalised_query(request.GET, LIST_PARAMETERS), user).tickets
        )
    params = pagecache.normalised_query(request.GET, LIST_PARAMETERS)

    def content() -> str:
        context = list_context(params, user)
        # A refused filter or a page past the end is rendered for each request, never kept:
        # every such value would otherwise be an entry of its own.
        if context["form"].errors or context["page"].number != int(params.get("page", 1)):
            pagecache.not_kept()
        return render_to_string("tickets/_ticket_list.html", context, request=request)

    parts = [params.urlencode()]

    def page(extra: dict[str, Any]) -> HttpResponse:
        context = {
            "tab": "ticket_list",
            "q": params.get("q", ""),  # the top bar's search box shows it again
            "content": pagecache.cached("list", user, parts, content),
        }
        return render(request, "tickets/ticket_list.html", {**context, **extra})

    return pagecache.page_response(request, "list", parts, page)


class ListQuery:
    """The list's query string read once: the filter form, its filters, the sort, the tickets."""

    def __init__(self, params: QueryDict, user: User) -> None:
        self.form = TicketFilterForm(params, user=user)
        self.filters = self.form.filters()
        self.sort_key, self.descending = parse_sort(params.get("sort"))
        tickets = filter_tickets(tickets_visible_to(user), self.filters)
        self.tickets = apply_sort(tickets, self.sort_key, self.descending)


def list_context(params: QueryDict, user: User) -> dict[str, Any]:
    query = ListQuery(params, user)
    form, filters, tickets = query.form, query.filters, query.tickets
    sort_key, descending = query.sort_key, query.descending
    paginator = IdsFirstPaginator(tickets, PER_PAGE, rows=rows_of)
    page = paginator.page(page_number(params.get("page"), paginator))
    states = set(filters.get("state") or [])
    active = sum(
        1
        for name in form.fields
        if name != "date_of" and any(value.strip() for value in params.getlist(name))
    )
    return {
        "tab": "ticket_list",
        "form": form,
        "q": form["q"].value() or "",
        "page": page,
        "total": paginator.count,
        "headers": headers(params, sort_key, descending),
        "page_links": page_links(params, page),
        "previous_url": (
            with_params(params, page=str(page.previous_page_number()))
            if page.has_previous()
            else None
        ),
        "next_url": (
            with_params(params, page=str(page.next_page_number())) if page.has_next() else None
        ),
        "sort": sort_value(sort_key, descending),
        "csv_url": with_params(params, page=None, format="csv"),
        "closed_hidden": State.CLOSED.value not in states,
        "show_closed_url": with_states(
            params, [*(sorted(states) or OPEN_STATES), State.CLOSED.value]
        ),
        # Shown beside « Filtres »: on a phone the form is folded, the count says it is at work.
        "active_filters": active,
        "is_filtered": active > 0,
        # Columns a phone does without (the table still scrolls sideways if needed).
        "narrow_hidden": NARROW_HIDDEN,
    }


# --- CSV export --------------------------------------------------------------------------

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): prefixed
# with a quote, Excel and LibreOffice show it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """A file-like object whose write() hands the line back, for a streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_export(tickets: QuerySet[Ticket]) -> StreamingHttpResponse:
    """Every ticket of the filtered list (all pages), streamed: `;` and a BOM for French Excel."""
    # Labels are translated now: the rows are written after the view (and its language) returned.
    header = [
        _("N°"),
        _("État"),
        _("Priorité"),
        _("Impact"),
        _("Catégorie"),
        _("Résumé"),
        _("Rapporteur"),
        _("Affecté à"),
        _("Créé le"),
        _("Mis à jour le"),
        _("Notes publiques"),
        # The ticket page's « Temps passé » total, in minutes for a spreadsheet to add up: the
        # billable time the client is billed for, private notes' included (as one sum there
        # too, never a private note's own minutes, text or author).
        _("Temps passé (minutes)"),
    ]
    states = {state.value: value_label(str(state.label)) for state in State}
    priorities = {value: value_label(str(label)) for value, label in Priority.choices}
    impacts = {value: value_label(str(label)) for value, label in Impact.choices}
    writer = csv.writer(_Echo(), delimiter=";")
    # billable_minutes: the ticket page's « Temps passé » total, kept on the ticket (tickets
    # migration 0016).
    rows = tickets.select_related("category", "handler", "reporter")

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for ticket in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    ticket.display_number,
                    states.get(ticket.state, ticket.state),
                    priorities.get(ticket.priority, ""),
                    impacts.get(ticket.impact, ""),
                    safe_cell(value_label(ticket.category.name)),
                    safe_cell(ticket.summary),
                    safe_cell(str(ticket.reporter)),
                    safe_cell(str(ticket.handler)) if ticket.handler else "",
                    when(ticket.created_at),
                    when(ticket.updated_at),
                    ticket.public_note_count,
                    ticket.billable_minutes,
                ]
            )

    filename = f"tickets-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
