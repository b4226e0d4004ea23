"""« Mot de passe oublié » cannot be used to flood a mailbox: reset mails are capped per address
and per client IP, silently (the page never says whether the account exists or the cap was hit)."""

from __future__ import annotations

import pytest

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

RESET = "/mot-de-passe-oublie/"
DONE = "/mot-de-passe-oublie/envoye/"


def ask(client, email: str, ip: str = "203.0.113.9"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip)


def test_many_requests_for_one_address_send_a_few_mails(client, client_user, smtp, settings):
    answers = [ask(client, client_user.email, ip=f"198.51.100.{i % 5 + 1}") for i in range(25)]

    assert {(a.status_code, a["Location"]) for a in answers} == {(302, DONE)}
    smtp.wait_for(client_user.email, count=settings.PASSWORD_RESET_THROTTLE_EMAIL_LIMIT)
    assert len(smtp.to(client_user.email)) == settings.PASSWORD_RESET_THROTTLE_EMAIL_LIMIT == 3


def test_the_address_limit_ignores_case(client, client_user, smtp, settings):
    for variant in (
        "paul@boulangerie-martin.fr",
        "Paul@Boulangerie-Martin.fr",
        "PAUL@boulangerie-martin.FR",
        "paul@BOULANGERIE-martin.fr",
    ):
        assert ask(client, variant)["Location"] == DONE
    assert len(smtp.to(client_user.email)) == settings.PASSWORD_RESET_THROTTLE_EMAIL_LIMIT


def test_one_address_asking_for_many_accounts_is_capped(client, organisation, smtp, settings):
    users = [ClientFactory(organisation=organisation) for _ in range(12)]

    answers = [ask(client, user.email) for user in users]

    assert {a["Location"] for a in answers} == {DONE}
    assert len(smtp.messages) == settings.PASSWORD_RESET_THROTTLE_IP_LIMIT == 10
    # Another address is not held by this one's cap.
    assert ask(client, users[-1].email, ip="192.0.2.77")["Location"] == DONE
    assert len(smtp.to(users[-1].email)) == 1


def test_the_capped_answer_is_the_same_page_as_for_an_unknown_address(client, client_user, smtp):
    for _ in range(3):
        ask(client, client_user.email)

    capped = ask(client, client_user.email, ip="192.0.2.1")
    unknown = ask(client, "inconnu@example.fr", ip="192.0.2.2")

    assert (capped.status_code, capped["Location"]) == (unknown.status_code, unknown["Location"])
    assert client.get(capped["Location"]).content == client.get(unknown["Location"]).content
    assert len(smtp.to(client_user.email)) == 3
    assert smtp.to("inconnu@example.fr") == []


def test_requests_for_unknown_addresses_count_against_the_ip(client, client_user, smtp, settings):
    settings.PASSWORD_RESET_THROTTLE_IP_LIMIT = 4
    for i in range(4):
        ask(client, f"inconnu{i}@example.fr")

    assert ask(client, client_user.email)["Location"] == DONE
    assert smtp.messages == []


def test_the_caps_end_with_their_window(client, client_user, smtp, settings):
    settings.PASSWORD_RESET_THROTTLE_WINDOW = 1
    for _ in range(4):
        ask(client, client_user.email)
    assert len(smtp.to(client_user.email)) == 3

    import time

    time.sleep(1.2)
    ask(client, client_user.email)
    assert len(smtp.wait_for(client_user.email, count=4)) == 4
