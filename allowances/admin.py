"""Staff's view of the hours: organisations by balance, each one's ledger and revisions, the
adjustment and revision forms, and the allowance mails. Every active staff member may use them
(as with tickets); writes go through allowances.ledger. Each organisation's page lists its months
with the client's statement of each, in HTML and PDF (allowances.pdf: the same document)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.access import StaffReadOnly, is_staff
from accounts.admin import organisation_display
from accounts.models import Organisation
from atm_support.admin_french import FrenchAdmin, Noun
from atm_support.minutes import format_minutes
from mail.outbox import requeue

from . import selectors
from . import time_report_admin as _time_report_admin  # noqa: F401  (« Rapport de temps »)
from . import urls as _urls  # noqa: F401  (registers the `period` converter the URLs below use)
from .alerts import level_for
from .forms import AdjustmentForm, RevisionForm
from .ledger import (
    AllowanceError,
    adjustment_create,
    allowance_for,
    balance_of,
    revision_create,
)
from .models import (
    AllowanceMail,
    AllowanceRevision,
    LedgerEntry,
    Level,
    OrganisationBalance,
)
from .pdf import render_statement_pdf, statement_context
from .periods import current_period, format_period
from .views import pdf_response


class HoursStyle:
    """The hours' stylesheet, on the admins below (read-only for staff: StaffReadOnly)."""

    class Media:
        css = {"all": ("allowances/admin.css",)}


def minutes_html(minutes: int | None, *, signed: bool = False) -> SafeString:
    """Negative amounts in red, with the word: colour alone says nothing to everyone."""
    value = int(minutes or 0)
    text = format_minutes(value, signed=signed)
    if value < 0:
        return format_html('<strong class="allowance-negative">{}</strong>', text)
    return format_html("{}", text)


class RevisionInline(
    HoursStyle, StaffReadOnly, admin.TabularInline[AllowanceRevision, OrganisationBalance]
):
    model = AllowanceRevision
    fk_name = "organisation"
    fields = readonly_fields = (
        "effective_from_month",
        "minutes",
        "memo",
        "created_by",
        "created_at",
    )
    extra = 0
    ordering = ["-pk"]
    verbose_name_plural = _("révisions du forfait (la plus récente l'emporte)")

    @admin.display(description=_("à compter de"))
    def effective_from_month(self, obj: AllowanceRevision) -> str:
        return format_period(obj.effective_from)

    @admin.display(description=_("forfait mensuel"))
    def minutes(self, obj: AllowanceRevision) -> str:
        return format_minutes(obj.minutes_per_month)


class LedgerInline(
    HoursStyle, StaffReadOnly, admin.TabularInline[LedgerEntry, OrganisationBalance]
):
    model = LedgerEntry
    fk_name = "organisation"
    fields = readonly_fields = (
        "month",
        "kind",
        "amount",
        "ticket_link",
        "memo",
        "author",
        "created_at",
    )
    extra = 0
    ordering = ["-period", "-pk"]
    verbose_name_plural = _("écritures (les plus récentes d'abord)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("ticket", "author")

    @admin.display(description=_("mois"))
    def month(self, obj: LedgerEntry) -> str:
        return format_period(obj.period)

    @admin.display(description=_("heures"))
    def amount(self, obj: LedgerEntry) -> SafeString:
        return minutes_html(obj.minutes, signed=True)

    @admin.display(description=_("ticket"))
    def ticket_link(self, obj: LedgerEntry) -> SafeString | str:
        if obj.ticket is None:
            return "—"
        url = reverse("admin:tickets_ticket_change", args=[obj.ticket.pk])
        return format_html(
            '<a href="{}">{}</a> {}', url, obj.ticket.display_number, obj.ticket.summary
        )


def monthly_in_force() -> Subquery:
    return Subquery(
        AllowanceRevision.objects.filter(
            organisation=OuterRef("pk"), effective_from__lte=current_period()
        )
        .order_by("-pk")
        .values("minutes_per_month")[:1],
        output_field=IntegerField(),
    )


class LevelFilter(admin.SimpleListFilter):
    title = _("niveau du solde")
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Level.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == Level.NEGATIVE:
            return queryset.filter(balance__lt=0)
        if value == Level.LOW:
            # balance < 20 % of the allowance, i.e. 5 x balance < allowance
            return queryset.filter(balance__gte=0, low_gap__lt=0)
        if value == Level.OK:
            return queryset.filter(balance__gte=0, low_gap__gte=0)
        return queryset


@admin.register(OrganisationBalance)
class OrganisationBalanceAdmin(
    FrenchAdmin, HoursStyle, StaffReadOnly, admin.ModelAdmin[OrganisationBalance]
):
    """« Organisations par solde »: the lowest balances first."""

    french = Noun("le", "solde d'heures d'une organisation", "soldes d'heures des organisations")

    list_display = ["name", "balance_display", "monthly_display", "level_display", "actions_links"]
    list_display_links = ["name"]
    search_fields = ["name"]
    list_filter = [LevelFilter]
    list_per_page = 100
    fields = readonly_fields = (
        "name",
        "balance_display",
        "monthly_display",
        "level_display",
        "actions_links",
    )
    inlines = [RevisionInline, LedgerInline]
    change_form_template = "allowances/admin/organisation_balance.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrganisationBalance]:
        monthly = Coalesce(monthly_in_force(), Value(0))
        balance = Coalesce(Sum("ledger_entries__minutes"), Value(0))
        # Not super(): it orders by get_ordering() before the annotations exist.
        return (
            self.model._default_manager.get_queryset()
            .annotate(balance=balance, monthly=monthly)
            .annotate(low_gap=5 * balance - monthly)
        )

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        return ("balance", "name")  # the annotation: lowest balances first

    @admin.display(description=_("solde"), ordering="balance")
    def balance_display(self, obj: Any) -> SafeString:
        return minutes_html(obj.balance)

    @admin.display(description=_("forfait mensuel"), ordering="monthly")
    def monthly_display(self, obj: Any) -> str:
        return format_minutes(obj.monthly)

    @admin.display(description=_("niveau"))
    def level_display(self, obj: Any) -> str:
        return str(level_for(obj.balance, obj.monthly).label)

    @admin.display(description=_("actions"))
    def actions_links(self, obj: Any) -> SafeString:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:allowances_organisationbalance_adjust", args=[obj.pk]),
            gettext("Ajuster le solde"),
            reverse("admin:allowances_organisationbalance_revise", args=[obj.pk]),
            gettext("Réviser le forfait"),
            reverse("admin:tickets_ticket_changelist") + f"?organisation__id__exact={obj.pk}",
            gettext("Voir ses tickets"),
        )

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:organisation_id>/ajuster/",
                self.admin_site.admin_view(self.adjust_view),
                name="allowances_organisationbalance_adjust",
            ),
            path(
                "<int:organisation_id>/reviser/",
                self.admin_site.admin_view(self.revise_view),
                name="allowances_organisationbalance_revise",
            ),
            path(
                "<int:organisation_id>/releve/<period:period>/",
                self.admin_site.admin_view(self.statement_view),
                name="allowances_organisationbalance_statement",
            ),
            path(
                "<int:organisation_id>/releve/<period:period>/pdf/",
                self.admin_site.admin_view(self.statement_pdf_view),
                name="allowances_organisationbalance_statement_pdf",
            ),
        ]
        return custom + super().get_urls()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The page also lists the months, each with the client's statement (HTML and PDF)."""
        months = selectors.months(int(object_id)) if object_id.isdigit() else []
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "statement_months": months}
        )

    def _statement(
        self, request: HttpRequest, organisation_id: int, period: Any
    ) -> tuple[Organisation, selectors.Statement]:
        """The organisation and its month, as the client's page reads them; 404 without entries."""
        organisation = get_object_or_404(Organisation, pk=organisation_id)
        found = selectors.statement(organisation.pk, period)
        if found is None:
            raise Http404
        return organisation, found

    def statement_view(
        self, request: HttpRequest, organisation_id: int, period: Any
    ) -> HttpResponse:
        """The PDF's own document as a page: what the client's PDF shows, to read on screen."""
        if not is_staff(request):
            return HttpResponseRedirect(reverse("admin:index"))
        organisation, found = self._statement(request, organisation_id, period)
        context = statement_context(organisation=organisation, statement=found)
        response = TemplateResponse(request, "allowances/statement_pdf.html", context)
        response["Cache-Control"] = "private, no-store"
        return response

    def statement_pdf_view(
        self, request: HttpRequest, organisation_id: int, period: Any
    ) -> HttpResponse:
        if not is_staff(request):
            return HttpResponseRedirect(reverse("admin:index"))
        organisation, found = self._statement(request, organisation_id, period)
        return pdf_response(
            render_statement_pdf(organisation=organisation, statement=found), period
        )

    def _form_page(
        self, request: HttpRequest, organisation: Organisation, form: Any, title: str, intro: str
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "organisation": organisation,
            "form": form,
            "opts": self.model._meta,
            "balance_url": reverse(
                "admin:allowances_organisationbalance_change", args=[organisation.pk]
            ),
        }
        return TemplateResponse(request, "allowances/admin/form.html", context)

    def _done(self, organisation: Organisation) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:allowances_organisationbalance_change", args=[organisation.pk])
        )

    def adjust_view(self, request: HttpRequest, organisation_id: int) -> HttpResponse:
        if not is_staff(request):
            return HttpResponseRedirect(reverse("admin:index"))
        organisation = get_object_or_404(Organisation, pk=organisation_id)
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = adjustment_create(
                    organisation=organisation,
                    minutes=form.cleaned_data["minutes"],
                    memo=form.cleaned_data["memo"],
                    by=request.user,  # type: ignore[arg-type]
                )
            except AllowanceError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    gettext("Ajustement de %(amount)s enregistré pour %(organisation)s.")
                    % {
                        "amount": format_minutes(entry.minutes, signed=True),
                        "organisation": organisation,
                    },
                )
                return self._done(organisation)
        return self._form_page(
            request,
            organisation,
            form,
            gettext("Ajuster le solde de %(organisation)s") % {"organisation": organisation},
            gettext(
                "L'ajustement s'ajoute au relevé du mois en cours, avec son motif ; "
                "il ne se modifie plus ensuite (un autre ajustement le corrige)."
            ),
        )

    def revise_view(self, request: HttpRequest, organisation_id: int) -> HttpResponse:
        if not is_staff(request):
            return HttpResponseRedirect(reverse("admin:index"))
        organisation = get_object_or_404(Organisation, pk=organisation_id)
        in_force = allowance_for(organisation.pk, current_period())
        form = RevisionForm(request.POST or None, current=in_force)
        if request.method == "POST" and form.is_valid():
            try:
                result = revision_create(
                    organisation=organisation,
                    minutes_per_month=form.cleaned_data["minutes_per_month"],
                    effective_from=form.cleaned_data["effective_from"],
                    memo=form.cleaned_data["memo"],
                    by=request.user,  # type: ignore[arg-type]
                )
            except AllowanceError as error:
                form.add_error(None, str(error))
            else:
                message = gettext(
                    "Forfait de %(organisation)s : %(amount)s par mois dès %(month)s."
                ) % {
                    "organisation": organisation,
                    "amount": format_minutes(result.revision.minutes_per_month),
                    "month": format_period(result.revision.effective_from),
                }
                if result.entry is not None:
                    message += " " + gettext("Écriture passée ce mois-ci : %(amount)s.") % {
                        "amount": format_minutes(result.entry.minutes, signed=True)
                    }
                messages.success(request, message)
                return self._done(organisation)
        return self._form_page(
            request,
            organisation,
            form,
            gettext("Réviser le forfait de %(organisation)s") % {"organisation": organisation},
            gettext(
                "Forfait en vigueur ce mois-ci : %(amount)s par mois. Le forfait révisé "
                "s'applique à partir du mois choisi ; les révisions précédentes restent dans "
                "l'historique."
            )
            % {"amount": format_minutes(in_force)},
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(FrenchAdmin, HoursStyle, StaffReadOnly, admin.ModelAdmin[LedgerEntry]):
    french = Noun(
        "l'", "écriture du crédit d'heures", "écritures du crédit d'heures", feminine=True
    )
    list_display = [
        "created_at",
        "organisation",
        "month",
        "kind",
        "amount",
        "ticket",
        "memo",
        "author",
    ]
    list_filter = ["kind", "period"]
    list_select_related = ["organisation", "ticket", "author"]
    search_fields = ["organisation__name", "memo", "=ticket__number"]
    ordering = ["-pk"]

    @admin.display(description=_("mois"), ordering="period")
    def month(self, obj: LedgerEntry) -> str:
        return format_period(obj.period)

    @admin.display(description=_("heures"), ordering="minutes")
    def amount(self, obj: LedgerEntry) -> SafeString:
        return minutes_html(obj.minutes, signed=True)


@admin.register(AllowanceRevision)
class AllowanceRevisionAdmin(
    FrenchAdmin, HoursStyle, StaffReadOnly, admin.ModelAdmin[AllowanceRevision]
):
    french = Noun("la", "révision du forfait", "révisions du forfait", feminine=True)
    list_display = [
        "organisation",
        "effective_from",
        "monthly",
        "memo",
        "created_by",
        "created_at",
    ]
    list_select_related = ["organisation", "created_by"]
    search_fields = ["organisation__name"]

    @admin.display(description=_("forfait mensuel"), ordering="minutes_per_month")
    def monthly(self, obj: AllowanceRevision) -> str:
        return format_minutes(obj.minutes_per_month)  # « 2 h 30 », not 150


@admin.register(AllowanceMail)
class AllowanceMailAdmin(FrenchAdmin, HoursStyle, StaffReadOnly, admin.ModelAdmin[AllowanceMail]):
    french = Noun("l'", "e-mail du crédit d'heures", "e-mails du crédit d'heures")
    list_display = [
        "created_at",
        "kind",
        "organisation",
        "recipient",
        "period",
        "status",
        "attempts",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["organisation", "recipient"]
    search_fields = ["recipient__email", "organisation__name"]
    actions = ["resend"]

    @admin.action(description=_("Renvoyer les e-mails en échec ou annulés"))
    def resend(self, request: HttpRequest, queryset: QuerySet[AllowanceMail]) -> None:
        count = requeue(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail remis en file d'envoi.",
                "%(count)d e-mails remis en file d'envoi.",
                count,
            )
            % {"count": count},
        )


@organisation_display
@admin.display(description=_("crédit d'heures"))
def hours(organisation: Organisation) -> SafeString | str:
    """The balance on the organisation's page, with the way to its ledger."""
    if not organisation.pk:
        return "—"
    return format_html(
        '{} — <a href="{}">{}</a>',
        format_minutes(balance_of(organisation.pk)),
        reverse("admin:allowances_organisationbalance_change", args=[organisation.pk]),
        gettext("solde, écritures, ajustements et forfait"),
    )
