"""The client tabs Accueil and Mon affichage, and the quick search of the top bar."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from accounts.access import client_required
from allowances.selectors import balance_summary

from .. import selectors
from ..models import State

NUMBER = re.compile(r"^#?\s*(\d{1,9})$")


@client_required
def home(request: HttpRequest) -> HttpResponse:
    """« Accueil »: counts per state, tickets awaiting the client's answer, hour balance, previous
    login."""
    counts = selectors.state_counts(request.user)  # type: ignore[arg-type]
    context = {
        "tab": "home",
        "counts": [(State(key), total) for key, total in counts.items()],
        "open_total": sum(total for key, total in counts.items() if key != State.CLOSED),
        "awaiting": list(selectors.awaiting_client(request.user)[:20]),  # type: ignore[arg-type]
        "balance": balance_summary(request.user.organisation_id),  # type: ignore[union-attr,arg-type]
    }
    return render(request, "tickets/home.html", context)


@client_required
def my_view(request: HttpRequest) -> HttpResponse:
    """« Mon affichage »: one box per open state, then what I reported and what moved lately."""
    user = request.user
    context = {
        "tab": "my_view",
        "boxes": selectors.my_view_boxes(user),  # type: ignore[arg-type]
        "reported": selectors.reported_by(user),  # type: ignore[arg-type]
        "recent": selectors.recently_modified(user),  # type: ignore[arg-type]
        "box_size": selectors.BOX_SIZE,
    }
    return render(request, "tickets/my_view.html", context)


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
