"""« Mes préférences »: a staff member's own page in the admin, where they choose which tickets
they hear of besides those they handle, follow or wrote on (notifications.selectors reads the
choices). Staff have no « Mon compte » (that page is the clients'); this one is theirs only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .access import is_staff, staff_member
from .models import Organisation, User


class StaffPreferencesForm(forms.ModelForm[User]):
    notify_organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations choisies"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "radiolist"}),
        help_text=_("Avec « Ceux des organisations choisies » : cochez-en au moins une."),
        error_messages={
            "invalid_choice": _("Cette organisation n'existe pas (ou plus)."),
            "invalid_pk_value": _("« %(pk)s » n'est pas une organisation."),
        },
    )

    class Meta:
        model = User
        fields = [
            "notify_new_tickets",
            "notify_organisations",
            "notify_client_replies",
            "follow_every_ticket",
        ]
        # The admin's list style (its AdminRadioSelect's class), for both lists of choices.
        widgets = {"notify_new_tickets": forms.RadioSelect(attrs={"class": "radiolist"})}
        labels = {
            "notify_new_tickets": _("Nouveaux tickets"),
            "notify_client_replies": _("Réponses des clients sur les tickets sans responsable"),
            "follow_every_ticket": _("Suivre tous les tickets"),
        }
        error_messages = {
            "notify_new_tickets": {
                "invalid_choice": _("Choix inconnu : « %(value)s »."),
                "required": _("Choisissez quels nouveaux tickets recevoir."),
            },
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        chosen = data.get("notify_organisations")
        if data.get("notify_new_tickets") == User.NewTickets.CHOSEN:
            if not chosen:
                self.add_error(
                    "notify_organisations",
                    gettext(
                        "Cochez au moins une organisation, ou choisissez « Tous les nouveaux "
                        "tickets »."
                    ),
                )
        elif "notify_organisations" in data:
            # What is kept is what applies: no list left behind that mails nobody.
            data["notify_organisations"] = Organisation.objects.none()
        return data


def preferences(request: HttpRequest) -> HttpResponse:
    """/admin/mes-preferences/ (atm_support/urls.py, behind admin.site.admin_view)."""
    if not is_staff(request):  # admin_view lets only staff in; said again where it is used
        raise PermissionDenied
    user = staff_member(request)
    form = StaffPreferencesForm(request.POST if request.method == "POST" else None, instance=user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, gettext("Vos préférences de notification sont enregistrées."))
            return HttpResponseRedirect(reverse("admin_preferences"))
        messages.error(request, gettext("Corrigez les erreurs ci-dessous."))
    request.current_app = admin.site.name
    context = {
        **admin.site.each_context(request),
        "title": gettext("Mes préférences"),
        "form": form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "admin/accounts/preferences.html", context, status=status)
