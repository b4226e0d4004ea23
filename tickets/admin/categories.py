"""The categories' admin: staff order them, retire a category from the report form, restore it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from atm_support.admin_french import FrenchAdmin, Noun

from ..models import Category


class CategoryAdmin(FrenchAdmin, admin.ModelAdmin[Category]):
    french = Noun("la", "catégorie", "catégories", feminine=True)
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    actions = ["retire", "restore"]

    @admin.action(description=_("Retirer du formulaire les catégories sélectionnées"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        count = queryset.update(is_active=False)
        messages.success(
            request,
            ngettext(
                "%(count)s catégorie retirée : les tickets qui l'ont la gardent.",
                "%(count)s catégories retirées : les tickets qui les ont les gardent.",
                count,
            )
            % {"count": count},
        )

    @admin.action(description=_("Proposer à nouveau les catégories sélectionnées"))
    def restore(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        count = queryset.update(is_active=True)
        messages.success(
            request,
            ngettext(
                "%(count)s catégorie proposée à nouveau.",
                "%(count)s catégories proposées à nouveau.",
                count,
            )
            % {"count": count},
        )
