"""« Relevé d'heures » as a PDF: the statement page's figures (selectors.statement), laid out
for A4 by WeasyPrint, for the client's download, the statement mail and the staff's admin.

The PDF is rendered on demand from the ledger, never stored: the ledger is append-only, so a
month that is closed renders the same figures every time (a resent mail carries the same PDF).
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Organisation

from . import selectors
from .models import Kind
from .periods import current_period, format_period, period_label

STYLESHEET = "allowances/statement.css"


def statement_context(
    *, organisation: Organisation, statement: selectors.Statement
) -> dict[str, Any]:
    """What the PDF template and the admin's HTML page show: the one Statement, nothing
    recomputed (the page's cards read the same properties)."""
    return {
        "organisation": organisation,
        "statement": statement,
        "period_label": period_label(statement.period),
        "current": statement.period >= current_period(),
        "adjustments": [line for line in statement.lines if line.entry.kind == Kind.ADJUSTMENT],
        "support_email": settings.SUPPORT_EMAIL,
        "site_url": settings.SITE_URL,
        "generated_at": timezone.localtime(),
    }


@functools.cache
def _stylesheet() -> str:
    """The document's CSS, for the PDF: the static file the admin's HTML view links to."""
    found = finders.find(STYLESHEET)
    assert isinstance(found, str), STYLESHEET
    return Path(found).read_text(encoding="utf-8")


def statement_filename(period: date) -> str:
    return f"releve-heures-{format_period(period)}.pdf"


def render_statement_pdf(*, organisation: Organisation, statement: selectors.Statement) -> bytes:
    """The PDF's bytes, in the active language (the caller's request, or the recipient's)."""
    # Imported here: WeasyPrint loads Pango through ctypes at import, which every process that
    # imports the allowances (the worker's other tasks, manage.py commands) need not pay for.
    from weasyprint import HTML

    context = statement_context(organisation=organisation, statement=statement)
    context["inline_css"] = _stylesheet()
    html = render_to_string("allowances/statement_pdf.html", context)
    # No base_url: with its CSS inlined the document is self-contained (no image, no link to
    # fetch), so WeasyPrint never reads a file or a URL on the server's behalf.
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf
