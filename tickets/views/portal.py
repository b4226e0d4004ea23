"""The client tabs Accueil and Mon affichage, and the quick search of the top bar."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

from accounts.access import client_required
from accounts.models import User
from allowances.selectors import balance_summary

from .. import pagecache, selectors
from ..models import State

NUMBER = re.compile(r"^#?\s*(\d{1,9})$")


@client_required
def home(request: HttpRequest) -> HttpResponse:
    """« Accueil »: counts per state, tickets awaiting the client's answer, hour balance, previous
    login."""
    user: User = request.user  # type: ignore[assignment]

    def content() -> str:
        counts = selectors.state_counts(user)
        context = {
            "counts": [(State(key), total) for key, total in counts.items()],
            "open_total": sum(total for key, total in counts.items() if key != State.CLOSED),
            "awaiting": list(selectors.awaiting_client(user)[:20]),
            "balance": balance_summary(user.organisation_id),  # type: ignore[arg-type]
        }
        return render_to_string("tickets/_home.html", context, request=request)

    return pagecache.page_response(
        request,
        "home",
        [],
        lambda extra: render(
            request,
            "tickets/home.html",
            {"tab": "home", "content": pagecache.cached("home", user, [], content), **extra},
        ),
    )


@client_required
def my_view(request: HttpRequest) -> HttpResponse:
    """« Mon affichage »: one box per open state, then what I reported and what moved lately."""
    user: User = request.user  # type: ignore[assignment]

    def content() -> str:
        context = {
            "boxes": selectors.my_view_boxes(user),
            "reported": selectors.reported_by(user),
            "recent": selectors.recently_modified(user),
            "box_size": selectors.BOX_SIZE,
        }
        return render_to_string("tickets/_my_view.html", context, request=request)

    return pagecache.page_response(
        request,
        "my_view",
        [],
        lambda extra: render(
            request,
            "tickets/my_view.html",
            {"tab": "my_view", "content": pagecache.cached("my_view", user, [], content), **extra},
        ),
    )


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
