"""The admin's « Rapport de temps » page (allowances/time_report.py): filters by month,
technician and organisation, the tables, the month's chart (an SVG rendered here, no script) and
the CSV. Staff only, as every admin page; registered by allowances/admin.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeListSearchForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import StaffReadOnly, is_staff
from accounts.models import Organisation, User
from atm_support.admin_french import FrenchAdmin, Noun

from .models import TimeReportPage
from .periods import (
    PeriodError,
    current_period,
    format_period,
    next_period,
    parse_period,
    period_label,
    previous_period,
)
from .time_report import chart, report_csv, time_report


class TimeReportFilters(forms.Form):
    mois = forms.CharField(
        label=gettext_lazy("Mois"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
        help_text=gettext_lazy("Au format AAAA-MM ; par défaut, le mois dernier."),
    )
    technicien = forms.ModelChoiceField(
        label=gettext_lazy("Technicien"),
        queryset=User.objects.filter(is_staff=True).order_by("first_name", "last_name", "email"),
        required=False,
        empty_label=gettext_lazy("Tous"),
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("Toutes"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("technicien", "organisation"):
            self.fields[name].error_messages["invalid_choice"] = _(
                "Ce choix n'existe pas : choisissez dans la liste."
            )

    def clean_mois(self) -> date:
        text = (self.cleaned_data.get("mois") or "").strip()
        if not text:
            return previous_period(current_period())
        try:
            return parse_period(text)
        except PeriodError as error:
            raise forms.ValidationError(
                _("Mois attendu au format AAAA-MM (par exemple 2026-03).")
            ) from error


@admin.register(TimeReportPage)
class TimeReportAdmin(FrenchAdmin, StaffReadOnly, admin.ModelAdmin[TimeReportPage]):
    """The changelist is the report; nothing to add, change or delete."""

    french = Noun("le", "rapport de temps", "rapports de temps")

    def get_urls(self) -> list[Any]:
        # Only the report: the proxy's generic object pages mean nothing here.
        from django.urls import path

        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="allowances_timereportpage_changelist",
            )
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not is_staff(request):
            return HttpResponseRedirect(reverse("admin:index"))
        # As every changelist: a search term Django's search form refuses (a NUL...) is said
        # in a message; the report has no search of its own and ignores the term.
        search = ChangeListSearchForm(request.GET)
        if not search.is_valid():
            for errors in search.errors.values():
                messages.error(request, ", ".join(str(error) for error in errors))
        data = request.GET.copy()
        if not data.get("mois"):
            # The default month shown in the field, as if chosen: the last month closed.
            data["mois"] = format_period(previous_period(current_period()))
        form = TimeReportFilters(data)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Rapport de temps"),
            "opts": self.model._meta,
            "form": form,
        }
        if not form.is_valid():
            return TemplateResponse(
                request, "allowances/admin/time_report.html", context, status=400
            )
        period: date = form.cleaned_data["mois"]
        technician = form.cleaned_data["technicien"]
        organisation = form.cleaned_data["organisation"]
        report = time_report(
            period,
            technician_id=technician.pk if technician else None,
            organisation_id=organisation.pk if organisation else None,
        )
        if request.GET.get("format") == "csv":
            response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="rapport-temps-{format_period(period)}.csv"'
            )
            response["Cache-Control"] = "private, no-store"
            return response

        def link(**changes: Any) -> str:
            params = {
                "mois": format_period(period),
                "technicien": technician.pk if technician else "",
                "organisation": organisation.pk if organisation else "",
                **changes,
            }
            return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

        context.update(
            {
                "subtitle": period_label(period).capitalize(),
                "report": report,
                "chart": chart(report),
                "technician": technician,
                "organisation": organisation,
                "csv_url": link(format="csv"),
                "previous_url": link(mois=format_period(previous_period(period))),
                "next_url": link(mois=format_period(next_period(period))),
                "previous_label": period_label(previous_period(period)),
                "next_label": period_label(next_period(period)),
                "open_month": period >= current_period(),
            }
        )
        return TemplateResponse(request, "allowances/admin/time_report.html", context)
