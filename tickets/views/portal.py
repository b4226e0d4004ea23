"""The client tabs. Until tickets exist (tickets issue), they show their empty state."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from accounts.access import client_required


@client_required
def home(request: HttpRequest) -> HttpResponse:
    """« Accueil »: synthesis and the date of the previous login."""
    return render(request, "tickets/home.html", {"tab": "home"})


@client_required
def my_view(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/my_view.html", {"tab": "my_view"})


@client_required
def ticket_create(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/ticket_create.html", {"tab": "ticket_create"})


@client_required
def quick_search(request: HttpRequest) -> HttpResponse:
    """The top box: anything typed is searched in « Afficher les tickets »."""
    query = request.GET.get("q", "").strip()
    url = reverse("tickets:list")
    return HttpResponseRedirect(f"{url}?{urlencode({'q': query})}" if query else url)
