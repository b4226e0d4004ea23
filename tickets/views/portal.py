"""The client tabs Accueil and Mon affichage, and the quick search of the top bar."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

from accounts.access import client_required
from accounts.models import User
from atm_support import pagecache

from .. import hours, selectors
from ..models import State

NUMBER = re.compile(r"^#?\s*(\d{1,9})$")


def _tab(request: HttpRequest, tab: str, context: Callable[[User], dict[str, Any]]) -> HttpResponse:
    """A tab whose content is `tickets/_<tab>.html` rendered from `context(user)`, inside
    `tickets/<tab>.html`; both kept by the page cache."""
    user: User = request.user  # type: ignore[assignment]

    def content() -> str:
        return render_to_string(f"tickets/_{tab}.html", context(user), request=request)

    def page(extra: dict[str, Any]) -> HttpResponse:
        kept = pagecache.cached(tab, user, [], content)
        return render(request, f"tickets/{tab}.html", {"tab": tab, "content": kept, **extra})

    return pagecache.page_response(request, tab, [], page)


def home_context(user: User) -> dict[str, Any]:
    counts = selectors.state_counts(user)
    return {
        "counts": [(State(key), total) for key, total in counts.items()],
        "awaiting": selectors.awaiting_client(user),
        "balance": hours.balance_summary(user.organisation_id),  # type: ignore[arg-type]
    }


def my_view_context(user: User) -> dict[str, Any]:
    return {
        "boxes": selectors.my_view_boxes(user),
        "reported": selectors.reported_by(user),
        "recent": selectors.recently_modified(user),
    }


@client_required
def home(request: HttpRequest) -> HttpResponse:
    """« Accueil »: counts per state, tickets awaiting the client's answer, hour balance, previous
    login."""
    return _tab(request, "home", home_context)


@client_required
def my_view(request: HttpRequest) -> HttpResponse:
    """« Mon affichage »: one box per open state, then what I reported and what moved lately."""
    return _tab(request, "my_view", my_view_context)


@client_required
def quick_search(request: HttpRequest) -> HttpResponse:
    """The top box: a ticket number opens that ticket; anything else searches the list."""
    query = request.GET.get("q", "").strip()
    match = NUMBER.match(query)
    if match:
        number = int(match.group(1))
        visible = selectors.tickets_visible_to(request.user)  # type: ignore[arg-type]
        if visible.filter(number=number).exists():
            return HttpResponseRedirect(reverse("tickets:detail", kwargs={"number": number}))
    url = reverse("tickets:list")
    return HttpResponseRedirect(f"{url}?{urlencode({'q': query})}" if query else url)
