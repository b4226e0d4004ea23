from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Invitation, Organisation, User
from tests.factories import StaffFactory
from tests.utils import path_of
from tickets.models import HistoryEntry, State, Ticket

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_invite_client_creates_user_sends_mail_and_prints_the_link(client, organisation, smtp):
    output = run("invite_client", "Lea@Example.fr", "--organisation", "boulangerie martin")

    user = User.objects.get(email="lea@example.fr")
    assert user.organisation == organisation
    [mail] = smtp.wait_for("lea@example.fr")
    [link] = [line.split(" : ", 1)[1] for line in output.splitlines() if line.startswith("Lien")]
    assert link in mail.text
    assert client.get(path_of(link)).status_code == 200


def test_invite_client_again_voids_the_first_link(organisation):
    run("invite_client", "lea@example.fr", "--organisation", organisation.name, "--no-email")
    run("invite_client", "lea@example.fr", "--organisation", organisation.name, "--no-email")
    assert Invitation.objects.filter(voided_at__isnull=True).count() == 1
    assert Invitation.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pas-une-adresse", "--organisation", "Boulangerie Martin"], "Adresse e-mail invalide"),
        (["lea@example.fr", "--organisation", "Inconnue"], "Organisation « Inconnue » introuvable"),
        (["tech@atm-consulting.fr", "--organisation", "Boulangerie Martin"], "équipe ATM"),
    ],
)
def test_invite_client_refuses_bad_input_with_a_clear_message(organisation, args, message):
    StaffFactory(email="tech@atm-consulting.fr")
    with pytest.raises(CommandError, match=message):
        run("invite_client", *args)
    assert not User.objects.filter(email="lea@example.fr").exists()


def test_invite_client_exits_non_zero_from_the_shell(organisation, settings):
    import os
    import subprocess
    import sys

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"  # the test database
    result = subprocess.run(
        [sys.executable, "manage.py", "invite_client", "x@example.fr", "--organisation", "Nulle"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "introuvable" in result.stderr


def test_invite_client_can_create_the_organisation(smtp):
    run("invite_client", "lea@neuf.fr", "--organisation", "Neuf SARL", "--create-organisation")
    assert User.objects.get(email="lea@neuf.fr").organisation.name == "Neuf SARL"


def test_seed_demo_is_idempotent_and_prints_the_logins(client):
    first = run("seed_demo")
    counts = (User.objects.count(), Organisation.objects.count(), Ticket.objects.count())
    run("seed_demo")

    assert (User.objects.count(), Organisation.objects.count(), Ticket.objects.count()) == counts
    assert counts[:2] == (5, 2)
    martin = Ticket.objects.filter(organisation__name="Boulangerie Martin")
    assert set(martin.values_list("state", flat=True)) == {state.value for state in State}
    assert HistoryEntry.objects.filter(ticket__in=martin, field="state").count() > 6
    assert User.objects.filter(is_staff=True, is_superuser=True).count() == 1
    for organisation in Organisation.objects.all():
        assert organisation.users.count() == 2
    assert "admin@atm-consulting.fr / Demo-Admin-2026" in first
    assert client.login(username="paul@boulangerie-martin.fr", password="Demo-Client-2026")
