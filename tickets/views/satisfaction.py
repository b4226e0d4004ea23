"""« Donner votre avis »: the rating form of a Résolu ticket, on its own page (the resolution mail's
link leads here) and posted from the ticket page's « Votre avis » panel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import client_required
from accounts.models import User

from ..limits import LongTextField, limit_help
from ..models import Ticket
from ..satisfaction import (
    COMMENT_MAX,
    Rating,
    SatisfactionError,
    check_link,
    check_may_rate,
    rating_save,
)
from .detail import _ticket_for

SATISFIED, UNSATISFIED = "satisfait", "pas-satisfait"


class RatingForm(forms.Form):
    opinion = forms.ChoiceField(
        label=gettext_lazy("La réponse vous convient-elle ?"),
        choices=[
            (SATISFIED, gettext_lazy("Satisfait")),
            (UNSATISFIED, gettext_lazy("Pas satisfait")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choisissez « Satisfait » ou « Pas satisfait ».")},
    )
    comment = LongTextField(
        label=gettext_lazy("Commentaire (facultatif)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=limit_help(COMMENT_MAX),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django's own « Sélectionnez un choix valide… » names the value: ours says what to do.
        self.fields["opinion"].error_messages["invalid_choice"] = _(
            "Choisissez « Satisfait » ou « Pas satisfait »."
        )

    def clean_comment(self) -> str:
        return str(self.cleaned_data.get("comment") or "").strip()


def form_for(rating: Rating | None, data: Any = None) -> RatingForm:
    """The form, bound to what was posted, or showing the viewer's current rating."""
    if data is not None:
        return RatingForm(data)
    if rating is None:
        return RatingForm()
    initial = {"opinion": SATISFIED if rating.satisfied else UNSATISFIED, "comment": rating.comment}
    return RatingForm(initial=initial)


def _page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    form: RatingForm | None,
    rating: Rating | None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {"ticket": ticket, "form": form, "rating": rating, "error": error, "tab": None}
    return render(request, "tickets/ticket_rating.html", context, status=status)


@client_required
def ticket_rating(request: HttpRequest, number: int) -> HttpResponse:
    """GET: the form (checking the mail's link when it carries one); POST: save and go back to
    the ticket. Another organisation's ticket is a 404, as its page."""
    user: User = request.user  # type: ignore[assignment]
    ticket = _ticket_for(request, number)
    rating = Rating.objects.filter(ticket=ticket, user=user).first()
    if request.method == "POST":
        form = RatingForm(request.POST)
        if not form.is_valid():
            return _page(request, ticket, form=form, rating=rating, status=400)
        try:
            rating_save(
                ticket=ticket,
                user=user,
                satisfied=form.cleaned_data["opinion"] == SATISFIED,
                comment=form.cleaned_data["comment"],
            )
        except SatisfactionError as error:
            return _page(request, ticket, form=None, rating=rating, error=str(error), status=409)
        messages.success(
            request,
            _("Merci, votre avis est modifié.") if rating else _("Merci pour votre avis."),
        )
        return HttpResponseRedirect(ticket.get_absolute_url() + "#avis")
    token = request.GET.get("jeton")
    if token is not None:
        link = check_link(token, ticket=ticket, user=user)
        if not link.ok:
            return _page(
                request, ticket, form=None, rating=rating, error=link.message, status=link.status
            )
    try:
        check_may_rate(ticket=ticket, user=user)
    except SatisfactionError as error:
        return _page(request, ticket, form=None, rating=rating, error=str(error), status=409)
    return _page(request, ticket, form=form_for(rating), rating=rating)
