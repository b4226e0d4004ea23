"""« Relevé d'heures »: the organisation's months, one statement per month, its CSV and PDF."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import client_required
from accounts.models import User
from atm_support.minutes import decimal_hours

from . import selectors
from .models import Kind, StatementOptOut
from .pdf import render_statement_pdf, statement_filename
from .periods import current_period, format_period, period_label


def _organisation_id(request: HttpRequest) -> int:
    user: User = request.user  # type: ignore[assignment]
    assert user.organisation_id is not None  # client_required
    return user.organisation_id


@client_required
def statements(request: HttpRequest) -> HttpResponse:
    """The months with their balances, the current standing, and the statement mail setting."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        wants = request.POST.get("statement_mail") == "on"
        if wants:
            StatementOptOut.objects.filter(user=user).delete()
            messages.success(request, _("Vous recevrez le relevé d'heures chaque mois par e-mail."))
        else:
            StatementOptOut.objects.get_or_create(user=user)
            messages.success(request, _("Vous ne recevrez plus le relevé d'heures par e-mail."))
        return HttpResponseRedirect(reverse("allowances:statements"))
    organisation_id = _organisation_id(request)
    context = {
        "tab": None,
        "summary": selectors.balance_summary(organisation_id),
        "months": selectors.months(organisation_id),
        "wants_mail": not StatementOptOut.objects.filter(user=user).exists(),
    }
    return render(request, "allowances/statements.html", context)


def _statement_or_404(request: HttpRequest, period: date) -> selectors.Statement:
    found = selectors.statement(_organisation_id(request), period)
    if found is None:
        raise Http404
    return found


@client_required
def statement(request: HttpRequest, period: date) -> HttpResponse:
    found = _statement_or_404(request, period)
    context = {
        "tab": None,
        "statement": found,
        "period_label": period_label(period),
        "current": period >= current_period(),
        "csv_url": reverse("allowances:statement_csv", kwargs={"period": format_period(period)}),
        "pdf_url": reverse("allowances:statement_pdf", kwargs={"period": format_period(period)}),
    }
    return render(request, "allowances/statement.html", context)


def _describe(line: selectors.StatementLine) -> str:
    entry = line.entry
    if entry.kind == Kind.DEBIT and entry.ticket is not None:
        return f"{entry.ticket.display_number} {entry.ticket.summary}"
    if entry.kind == Kind.CREDIT:
        return _("Crédit mensuel de %(month)s") % {"month": period_label(entry.period)}
    return entry.memo


# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


@client_required
def statement_csv(request: HttpRequest, period: date) -> HttpResponse:
    """The statement for a spreadsheet: `;`, BOM, minutes and decimal hours (French comma)."""
    found = _statement_or_404(request, period)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            _("Date"),
            _("Type"),
            _("Ticket"),
            _("Libellé"),
            _("Minutes"),
            _("Heures"),
            _("Solde (minutes)"),
        ]
    )
    writer.writerow(["", _("Solde au début du mois"), "", "", "", "", found.opening])
    for line in found.lines:
        entry = line.entry
        writer.writerow(
            [
                f"{timezone.localtime(entry.created_at):%d/%m/%Y %H:%M}",
                entry.get_kind_display(),
                entry.ticket.display_number if entry.ticket else "",
                _cell(_describe(line)),
                entry.minutes,
                decimal_hours(entry.minutes),
                line.balance,
            ]
        )
    writer.writerow(["", _("Solde à la fin du mois"), "", "", "", "", found.closing])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="releve-heures-{format_period(period)}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_response(pdf: bytes, period: date) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    # inline: the browser shows it, its viewer saves it under this name.
    response["Content-Disposition"] = f'inline; filename="{statement_filename(period)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@client_required
def statement_pdf(request: HttpRequest, period: date) -> HttpResponse:
    """The statement page's figures on A4 (allowances.pdf), for the same user and month."""
    found = _statement_or_404(request, period)
    user: User = request.user  # type: ignore[assignment]
    assert user.organisation is not None  # client_required
    return pdf_response(
        render_statement_pdf(organisation=user.organisation, statement=found), period
    )
