"""The ticket page's « Suivi du ticket » buttons: POST only, then back to the ticket."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import client_required
from accounts.models import User

from ..following import FollowingError, colleague_for, ticket_follow, ticket_unfollow
from .detail import _ticket_for


@require_POST
@client_required
def ticket_following(request: HttpRequest, number: int) -> HttpResponse:
    """Follow, stop following, add or remove a colleague. Another organisation's ticket is a 404
    (as its page), another organisation's user a French error: nothing is written either way."""
    user: User = request.user  # type: ignore[assignment]
    ticket = _ticket_for(request, number)
    action = request.POST.get("action", "")
    try:
        if action == "follow":
            ticket_follow(ticket=ticket, user=user, by=user)
            messages.success(request, _("Vous suivez ce ticket : vous recevrez ses e-mails."))
        elif action == "unfollow":
            ticket_unfollow(ticket=ticket, user=user, by=user)
            messages.success(request, _("Vous ne suivez plus ce ticket."))
        elif action in ("add", "remove"):
            colleague = colleague_for(ticket=ticket, user_id=request.POST.get("user"))
            if action == "add":
                ticket_follow(ticket=ticket, user=colleague, by=user)
                messages.success(
                    request, _("%(name)s suit maintenant ce ticket.") % {"name": colleague}
                )
            else:
                ticket_unfollow(ticket=ticket, user=colleague, by=user)
                messages.success(
                    request, _("%(name)s ne suit plus ce ticket.") % {"name": colleague}
                )
        else:
            messages.error(request, _("Action inconnue."))
    except FollowingError as error:
        messages.error(request, str(error))
    return HttpResponseRedirect(ticket.get_absolute_url() + "#suivi")
