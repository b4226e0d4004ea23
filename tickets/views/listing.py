"""« Afficher les tickets »: the whole list with filters, sorting, pages and CSV export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import client_required


@client_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "tickets/ticket_list.html", {"tab": "ticket_list", "q": request.GET.get("q", "")}
    )
