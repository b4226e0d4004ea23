"""« Ouvrir un ticket »: the report form."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.access import client_required
from atm_support.middleware import accepts_uploads

from ..attachments import attachments_store
from ..forms import TicketReportForm
from ..services import ticket_create


@accepts_uploads
@client_required
def ticket_create_view(request: HttpRequest) -> HttpResponse:
    form = TicketReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                ticket = ticket_create(
                    reporter=request.user,  # type: ignore[arg-type]
                    category=data["category"],
                    reproducibility=data["reproducibility"],
                    impact=data["impact"],
                    priority=data["priority"],
                    summary=data["summary"],
                    description=data["description"],
                    steps_to_reproduce=data["steps_to_reproduce"],
                    additional_information=data["additional_information"],
                )
                attachments_store(
                    ticket=ticket,
                    files=data["attachments"],
                    by=request.user,  # type: ignore[arg-type]
                )
            messages.success(
                request,
                _("Votre demande est enregistrée sous le numéro %(number)s.")
                % {"number": ticket.display_number},
            )
            return HttpResponseRedirect(ticket.get_absolute_url())
        if request.FILES:
            # A browser never sends a file input back: say so, rather than lose them silently.
            messages.warning(
                request,
                _(
                    "Le formulaire contient des erreurs. Les fichiers joints n'ont pas été "
                    "conservés : sélectionnez-les à nouveau."
                ),
            )
        status = 400
    else:
        status = 200
    context = {"tab": "ticket_create", "form": form}
    return render(request, "tickets/ticket_create.html", context, status=status)
