"""`manage.py seed_demo` shows the contract: six months of a 2 h forfait, past month ends run by
the real code, tickets in every state, an organisation in overage; twice changes nothing; nobody
is mailed."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation, User
from allowances.ledger import allowance_for, balance_of
from allowances.models import AllowanceMail, Kind, LedgerEntry
from allowances.periods import current_period, format_period, previous_period
from mail.models import Status
from tests.factories import ClientFactory
from tickets.models import Attachment, HistoryEntry, Note, State, Ticket

pytestmark = pytest.mark.django_db

# Doubled or misplaced punctuation a hand-written text never has (French typography puts a space
# before « : ? ! », never before a comma or a full stop).
STRAY = re.compile(r"\.\.|,,|!!|\?\?|::|;;|\s[,.]|  |\s$|^\s")


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def accueil(email: str) -> BeautifulSoup:
    client = Client()
    client.force_login(User.objects.get(email=email))
    response = client.get("/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_boulangerie_martin_has_six_months_of_a_2_h_forfait(media: None) -> None:
    seed()
    bakery = Organisation.objects.get(name="Boulangerie Martin")
    current = current_period()
    assert allowance_for(bakery.pk, current) == 120
    credits = LedgerEntry.objects.filter(organisation=bakery, kind=Kind.CREDIT)
    periods = sorted(credits.values_list("period", flat=True))
    assert len(periods) == 6
    assert set(credits.values_list("minutes", flat=True)) == {120}
    assert periods[-1] == current
    debits = LedgerEntry.objects.filter(organisation=bakery, kind=Kind.DEBIT)
    assert debits.count() == Ticket.objects.filter(organisation=bakery, state=State.CLOSED).count()
    total_credit = credits.aggregate(total=Sum("minutes"))["total"]
    total_debit = -debits.aggregate(total=Sum("minutes"))["total"]
    assert total_debit > 0
    balance = total_credit - total_debit
    assert balance == balance_of(bakery.pk) > 0

    page = accueil("paul@boulangerie-martin.fr")
    shown = page.select_one("#balance")
    assert shown is not None
    assert int(str(shown["data-minutes"])) == balance
    assert "text-danger" not in shown.get_attribute_list("class")
    monthly = page.select_one("#balance-monthly")
    assert monthly is not None
    assert monthly.get_text(strip=True) == "2 h"

    # A statement for each past month of the contract, with its debits, on the client's page.
    client = Client()
    client.force_login(User.objects.get(email="paul@boulangerie-martin.fr"))
    for period in periods[:-1]:
        response = client.get(f"/releve-heures/{format_period(period)}/")
        assert response.status_code == 200, period
        assert LedgerEntry.objects.filter(organisation=bakery, period=period, kind=Kind.DEBIT)
    statements = AllowanceMail.objects.filter(organisation=bakery, kind="statement")
    assert set(statements.values_list("period", flat=True)) == set(periods[:-1])


def test_cabinet_durand_is_in_overage_and_its_accueil_says_so(media: None) -> None:
    seed()
    firm = Organisation.objects.get(name="Cabinet Durand")
    assert allowance_for(firm.pk, current_period()) == 60
    balance = balance_of(firm.pk)
    assert balance < 0
    page = accueil("sophie@cabinet-durand.fr")
    shown = page.select_one("#balance")
    assert shown is not None
    assert int(str(shown["data-minutes"])) == balance
    assert "text-danger" in shown.get_attribute_list("class")
    assert page.select_one("#balance-overage") is not None


def test_demo_tickets_are_in_every_state_with_notes_time_and_files(media: None) -> None:
    seed()
    bakery = Organisation.objects.get(name="Boulangerie Martin")
    assert set(Ticket.objects.filter(organisation=bakery).values_list("state", flat=True)) == {
        state.value for state in State
    }
    assert Note.objects.filter(is_private=True, minutes_spent__gt=0).exists()
    assert Note.objects.filter(author__is_staff=False).exists()  # the clients write too
    images = Attachment.objects.filter(content_type="image/png")
    assert images.exists()
    for image in images:
        assert image.note is not None
        assert image.is_image  # a thumbnail was made
    assert Attachment.objects.filter(original_name__endswith=".csv").exists()


def test_demo_dates_spread_over_the_months_and_the_history_reads_in_order(media: None) -> None:
    seed()
    now = timezone.now()
    current = current_period()
    months = {
        ticket.created_at.astimezone(timezone.get_default_timezone()).replace(day=1).date()
        for ticket in Ticket.objects.all()
    }
    assert len(months) >= 5
    for ticket in Ticket.objects.all():
        dates = list(
            HistoryEntry.objects.filter(ticket=ticket).values_list("created_at", flat=True)
        )
        assert dates == sorted(dates), ticket.number
        assert dates[0] == ticket.created_at <= ticket.updated_at <= now
        if ticket.state == State.CLOSED:
            assert ticket.resolved_at is not None
            assert ticket.closed_at is not None
            assert ticket.created_at < ticket.resolved_at < ticket.closed_at
        if ticket.state == State.RESOLVED:
            # Resolved this month: the last month end rightly left it open.
            assert ticket.resolved_at is not None
            assert current_period(ticket.resolved_at) == current
    last_closed = previous_period(current)
    assert LedgerEntry.objects.filter(kind=Kind.DEBIT, period=last_closed).exists()


def test_demo_texts_have_no_stray_punctuation(media: None) -> None:
    seed()
    texts = [
        *Ticket.objects.values_list("summary", flat=True),
        *Ticket.objects.values_list("description", flat=True),
        *Ticket.objects.exclude(steps_to_reproduce="").values_list("steps_to_reproduce", flat=True),
        *Note.objects.values_list("text", flat=True),
        *LedgerEntry.objects.exclude(memo="").values_list("memo", flat=True),
    ]
    assert texts
    for text in texts:
        for line in text.splitlines():
            assert not STRAY.search(line), line
        assert "lorem" not in text.lower()
        assert not re.search(r" [?!:;]", text), text  # a no-break space before them


def test_seed_demo_twice_changes_nothing(media: None) -> None:
    seed()
    before = counts()
    balances = dict(Organisation.objects.values_list("name", "pk"))
    first = {name: balance_of(pk) for name, pk in balances.items()}
    assert before["tickets.Ticket"] > 0
    output = seed()
    assert counts() == before
    assert {name: balance_of(pk) for name, pk in balances.items()} == first
    assert "historique déjà en place" in output


def test_seed_demo_mails_nobody(smtp: Any, media: None) -> None:
    from notifications.models import Notification

    seed()
    assert Notification.objects.count() == 0
    # The past months' statements and warnings exist, but never leave.
    assert AllowanceMail.objects.exists()
    assert not AllowanceMail.objects.exclude(status=Status.CANCELLED).exists()
    assert smtp.messages == []


def test_demo_month_ends_leave_other_organisations_alone(smtp: Any, media: None) -> None:
    """A database with a real client: the demo's past month ends must neither credit it nor
    mail its people a statement."""
    other: Organisation = ClientFactory(email="client@exemple.fr").organisation
    seed()
    assert not LedgerEntry.objects.filter(organisation=other).exists()
    assert not AllowanceMail.objects.filter(organisation=other).exists()
    assert smtp.messages == []
