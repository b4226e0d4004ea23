"""« Relevé d'heures » as a PDF: the page's figures on A4, for the client, in the statement mail
and for staff in the admin. The PDF's text is extracted (pypdf) and compared with the page's."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import pytest
from pypdf import PdfReader

from allowances.ledger import adjustment_create, revision_create
from allowances.models import AllowanceMail
from allowances.month_end import close_month
from allowances.tasks import send_allowance_mails
from mail.models import Status
from tests.allowances.conftest import month, paris, resolved_ticket
from tests.conftest import SMTPSink
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

URL = "/releve-heures/2026-03/"


@pytest.fixture
def march(organisation: Any, client_user: Any, staff_user: Any) -> list[Any]:
    """March 2026: 2 h credited, a 30 min adjustment, two tickets debited (1 h and 0 h 15)."""
    revision_create(
        organisation=organisation,
        minutes_per_month=120,
        effective_from=month(2026, 3),
        by=staff_user,
        now=paris(2026, 3, 2),
    )
    adjustment_create(
        organisation=organisation,
        minutes=30,
        memo="Geste commercial Martin",
        by=staff_user,
        now=paris(2026, 3, 15),
    )
    tickets = [
        resolved_ticket(
            reporter=client_user,
            resolved_at=paris(2026, 3, 12),
            minutes=(50,),
            summary="Facture en double",
        ),
        resolved_ticket(
            reporter=client_user,
            resolved_at=paris(2026, 3, 20),
            minutes=(10,),
            summary="Export vide",
        ),
    ]
    close_month(now=paris(2026, 4, 1, 0, 5))
    return tickets


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(html: str) -> str:
    """An HTML fragment's words, one space apart."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def page_figures(html: str) -> dict[str, Any]:
    """What the statement page shows: its four totals and, per entry, its text, hours, balance."""
    totals = {
        name: flat(re.search(rf'id="statement-{name}">(.*?)</div>', html, re.S)[1])  # type: ignore[index]
        for name in ("opening", "credit", "debited", "closing")
    }
    rows = []
    for row in re.findall(r'<tr class="entry-(\w+)">(.*?)</tr>', html, re.S):
        cells = [flat(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]
        rows.append(
            (row[0], *cells[1:])
        )  # the date is hidden on phones: kind, text, hours, balance
    return {"totals": totals, "rows": rows}


def lines_of(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def assert_same_figures(pdf: str, figures: dict[str, Any]) -> None:
    lines = lines_of(pdf)
    joined = " ".join(lines)
    totals = figures["totals"]
    assert totals["closing"].replace(" Dépassement", "") in joined
    for value in totals.values():
        assert value.replace(" Dépassement", "") in joined, value
    assert len(figures["rows"]) == 4  # credit, adjustment, two debits
    for _kind, label, hours, balance in figures["rows"]:
        # One line of the PDF's table holds the entry's text, its hours and the balance after it.
        assert any(label in line and line.endswith(f"{hours} {balance}") for line in lines), (
            label,
            hours,
            balance,
            lines,
        )


def test_pdf_has_the_statement_pages_figures(
    client: Any, client_user: Any, march: list[Any]
) -> None:
    client.force_login(client_user)
    page = client.get(URL)
    html = page.content.decode()
    assert 'href="/releve-heures/2026-03/pdf/"' in html
    assert "Télécharger le PDF" in html
    figures = page_figures(html)
    # The page itself, for the reader of this test: 2 h + 0 h 30 - 1 h - 0 h 15 = 1 h 15.
    assert figures["totals"] == {
        "opening": "0 h",
        "credit": "+2 h",
        "debited": "1 h 15",
        "closing": "1 h 15",
    }
    labels = [row[1] for row in figures["rows"]]
    assert f"{march[0].display_number} Facture en double" in labels
    assert f"{march[1].display_number} Export vide" in labels

    response = client.get(URL + "pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="releve-heures-2026-03.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content)
    assert "Relevé d'heures" in text
    assert "Mars 2026" in text
    assert "Boulangerie Martin" in text
    assert "ATM Consulting" in text
    assert "Ajustement : Geste commercial Martin" in " ".join(lines_of(text))
    assert "Solde reporté sur le mois suivant" in text
    assert_same_figures(text, figures)


def test_another_organisations_month_is_404_and_its_own_pdf_shows_none_of_it(
    client: Any, march: list[Any], other_organisation: Any, staff_user: Any
) -> None:
    durand = ClientFactory(organisation=other_organisation)
    client.force_login(durand)
    # Durand has no entry in March: the month is not theirs to see.
    assert client.get(URL + "pdf/").status_code == 404
    adjustment_create(
        organisation=other_organisation,
        minutes=45,
        memo="Geste commercial Durand",
        by=staff_user,
        now=paris(2026, 3, 16),
    )
    text = pdf_text(client.get(URL + "pdf/").content)
    assert "Cabinet Durand" in text
    assert "Geste commercial Durand" in text
    for secret in ("Boulangerie Martin", "Geste commercial Martin", march[0].display_number):
        assert secret not in text


def test_pdf_needs_a_login_and_a_month_with_entries(client: Any, client_user: Any) -> None:
    response = client.get(URL + "pdf/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")
    client.force_login(client_user)
    assert client.get(URL + "pdf/").status_code == 404  # no ledger entry that month


def test_statement_mail_carries_the_pdf_with_the_pages_figures(
    smtp: SMTPSink, client: Any, client_user: Any, march: list[Any], staff_user: Any
) -> None:
    ids = list(AllowanceMail.objects.filter(status=Status.QUEUED).values_list("pk", flat=True))
    assert send_allowance_mails.apply(args=(ids,)).get() == 1
    [mail] = smtp.to(client_user.email)
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "releve-heures-2026-03.pdf"
    content = attachment.get_content()
    client.force_login(client_user)
    figures = page_figures(client.get(URL).content.decode())
    assert_same_figures(pdf_text(content), figures)
    # Rendered from the ledger at send time: a resend carries the same figures.
    AllowanceMail.objects.filter(pk__in=ids).update(status=Status.QUEUED)
    send_allowance_mails.apply(args=(ids,)).get()
    resent = smtp.to(client_user.email)
    assert len(resent) == 2
    [again] = list(resent[1].message.iter_attachments())
    assert_same_figures(pdf_text(again.get_content()), figures)


def test_staff_see_each_months_statement_in_html_and_pdf_from_the_organisation_page(
    client: Any, client_user: Any, staff_user: Any, organisation: Any, march: list[Any]
) -> None:
    client.force_login(client_user)
    figures = page_figures(client.get(URL).content.decode())
    client.force_login(staff_user)
    page = client.get(f"/admin/allowances/organisationbalance/{organisation.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    base = f"/admin/allowances/organisationbalance/{organisation.pk}/releve/2026-03/"
    assert f'href="{base}"' in html
    assert f'href="{base}pdf/"' in html
    document = client.get(base)
    assert document.status_code == 200
    assert "Geste commercial Martin" in document.content.decode()
    # The CSP refuses inline styles: the page links the PDF's stylesheet instead.
    assert "<style>" not in document.content.decode()
    assert "allowances/statement.css" in document.content.decode()
    pdf = client.get(base + "pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert_same_figures(pdf_text(pdf.content), figures)
    # A month without entries, for staff as for the client: 404.
    assert client.get(base.replace("2026-03", "2026-01") + "pdf/").status_code == 404


def test_clients_cannot_open_the_admins_statement(
    client: Any, client_user: Any, organisation: Any, march: list[Any]
) -> None:
    client.force_login(client_user)
    base = f"/admin/allowances/organisationbalance/{organisation.pk}/releve/2026-03/"
    for url in (base, base + "pdf/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert not response.content.startswith(b"%PDF")


def test_the_attached_pdf_is_in_the_recipients_language(
    smtp: SMTPSink, organisation: Any, staff_user: Any
) -> None:
    english = ClientFactory(organisation=organisation, email="john@boulangerie-martin.fr")
    english.language = "en"
    english.save(update_fields=["language"])
    revision_create(
        organisation=organisation,
        minutes_per_month=120,
        effective_from=month(2026, 3),
        by=staff_user,
        now=paris(2026, 3, 2),
    )
    close_month(now=paris(2026, 4, 1, 0, 5))
    ids = list(AllowanceMail.objects.values_list("pk", flat=True))
    send_allowance_mails.apply(args=(ids,)).get()
    [mail] = smtp.to(english.email)
    [attachment] = list(mail.message.iter_attachments())
    text = pdf_text(attachment.get_content())
    assert "March 2026" in text
    assert "Balance carried over to the next month" in text
    assert "Relevé" not in text
