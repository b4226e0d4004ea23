"""Crafted input in the admin (and the portal) gets a 400 or an admin message, never a 500.

PostgreSQL refuses a NUL byte in any string, so a search term, an autocomplete term or a form field
carrying one used to make the query fail; a selected id that is not a primary key (« abc ») made
the actions' `pk__in` filter fail. Every registered ModelAdmin is tried, so that an admin added
later is covered without anyone remembering to.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import make_ticket
from tests.utils import text

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
ADMINS = [pytest.param(model_admin, id=model._meta.label) for model, model_admin in REGISTRY]


def _autocomplete_fields() -> list[Any]:
    """Every (model, relation) the autocomplete view answers for: a relation to a model whose
    admin has search_fields (the view does not ask that the admin use an autocomplete widget)."""
    found = []
    for model, _model_admin in REGISTRY:
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.remote_field):
                continue
            remote_admin = admin.site._registry.get(field.remote_field.model)
            if remote_admin is not None and remote_admin.search_fields:
                found.append(pytest.param(model, field, id=f"{model._meta.label}.{field.name}"))
    return found


AUTOCOMPLETE = _autocomplete_fields()


@pytest.fixture
def staff(staff_user: Any) -> Client:
    """The test client answers a 500 instead of raising: what a browser would get."""
    browser = Client(raise_request_exception=False)
    browser.force_login(staff_user)
    return browser


def _changelist(model_admin: Any) -> str:
    opts = model_admin.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def test_every_admin_and_the_ticket_handler_are_tried():
    labels = {model._meta.label for model, _ in REGISTRY}
    assert {"tickets.Ticket", "accounts.User", "notifications.Notification"} <= labels
    assert "allowances.AllowanceMail" in labels
    assert any(p.id == "tickets.Ticket.handler" for p in AUTOCOMPLETE)


@pytest.mark.parametrize("model_admin", ADMINS)
def test_nul_byte_in_a_changelist_search_is_said_by_the_box(staff, model_admin):
    """Every search answers 200: Django's search form refuses the NUL with its French message."""
    assert staff.get(_changelist(model_admin), {"q": "boulangerie"}).status_code == 200

    response = staff.get(_changelist(model_admin), {"q": "boulan\x00gerie"})

    assert response.status_code == 200
    assert "caractère nul" in text(response)


@pytest.mark.parametrize("model_admin", ADMINS)
def test_nul_byte_in_a_changelist_filter_is_a_400(staff, model_admin):
    response = staff.get(_changelist(model_admin), {"o": "1\x00"})

    assert response.status_code == 400
    assert "caractère nul" in text(response)


@pytest.mark.parametrize(("model", "field"), AUTOCOMPLETE)
def test_nul_byte_in_an_autocomplete_term_is_a_400(staff, model, field):
    query = {
        "app_label": model._meta.app_label,
        "model_name": model._meta.model_name,
        "field_name": field.name,
    }
    url = reverse("admin:autocomplete")
    assert staff.get(url, {**query, "term": "tom"}).status_code == 200

    response = staff.get(url, {**query, "term": "to\x00m"})

    assert response.status_code == 400


def _actions(model_admin: Any, staff_user: Any) -> list[str]:
    request = RequestFactory().get("/")
    request.user = staff_user
    return list(model_admin.get_actions(request))


@pytest.mark.parametrize("model_admin", ADMINS)
@pytest.mark.parametrize("with_index", [True, False], ids=["direct", "confirmation"])
def test_a_selected_id_that_is_not_a_key_gets_an_admin_message(
    staff, staff_user, model_admin, with_index
):
    """« index » is sent by the list's action bar; its absence is the POST of an action's own
    confirmation page (delete_selected, « Demander des précisions »): both run the action."""
    actions = _actions(model_admin, staff_user)
    if not actions:
        pytest.skip("no action on this admin for staff")
    url = _changelist(model_admin)
    for action in actions:
        data = {"action": action, helpers.ACTION_CHECKBOX_NAME: ["abc"]}
        if with_index:
            data["index"] = "0"

        response = staff.post(url, data)

        assert response.status_code == 302, action
        assert response["Location"] == url
        page = text(staff.get(url))
        assert "Sélection invalide" in page, action


def test_a_valid_selection_still_runs_the_action(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user)
    url = reverse("admin:tickets_ticket_changelist")

    response = staff.post(
        url, {"action": "take", "index": "0", helpers.ACTION_CHECKBOX_NAME: [str(ticket.pk)]}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.handler == staff_user
    assert "Sélection invalide" not in text(staff.get(url))


def test_a_mix_of_valid_and_invalid_ids_changes_nothing(staff, client_user):
    ticket = make_ticket(reporter=client_user)

    staff.post(
        reverse("admin:tickets_ticket_changelist"),
        {"action": "take", "index": "0", helpers.ACTION_CHECKBOX_NAME: [str(ticket.pk), "1x"]},
    )

    ticket.refresh_from_db()
    assert ticket.handler is None


def test_nul_byte_in_a_portal_form_is_refused_next_to_the_field_and_in_a_path_is_a_400(
    client_user,
):
    """The portal's forms say it by the field and keep the text; a path has no field: 400."""
    browser = Client(raise_request_exception=False)
    browser.force_login(client_user)
    ticket = make_ticket(reporter=client_user)

    search = browser.get("/tickets/", {"q": "pain\x00"})
    path = Client(raise_request_exception=False).get("/invitation/abc%00def/")
    note = browser.post(ticket.get_absolute_url(), {"text": "Bonjour\x00"})

    assert search.status_code == 200
    assert "Le caractère nul n\u2019est pas autorisé." in text(search)
    assert search.context["form"]["q"].value() == "pain\x00"
    assert note.status_code == 400  # the ticket page's answer to an invalid note: the form again
    assert "Le caractère nul n\u2019est pas autorisé." in text(note)
    assert "Bonjour" in text(note)
    assert path.status_code == 400
    assert "caractère nul" in text(path)
    assert not ticket.notes.filter(text__startswith="Bonjour").exists()


def test_nul_byte_on_the_login_page_is_a_400():
    browser = Client(raise_request_exception=False)

    response = browser.post(
        reverse("admin:login"), {"username": "a\x00@b.fr", "password": "x"}, follow=False
    )

    assert response.status_code == 400
