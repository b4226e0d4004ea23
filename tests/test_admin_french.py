"""Django's generic admin sentences read as French, for every registered ModelAdmin
(atm_support/admin_french.py): « Sélectionnez la catégorie à modifier », not « Sélectionnez
l'objet catégorie à changer »; « La catégorie « Anomalie » a été modifiée. », not « L'objet
catégorie « Anomalie » a été modifié avec succès. »

The expected sentences are written out below, one row per admin: a new admin fails here until
it is given its noun and its row.
"""

from __future__ import annotations

import contextlib
import html
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from accounts.invitations import invitation_create
from accounts.models import Organisation
from allowances.ledger import adjustment_create, revision_create
from allowances.periods import current_period
from atm_support.admin_french import FrenchAdmin, Noun
from tests.factories import CategoryFactory, ClientFactory, make_ticket
from tests.utils import text
from tickets.canned import CannedReply
from tickets.models import Category

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)

# label: (changelist title for a staff superuser, « … a été modifié(e). », « … supprimé(e). »)
EXPECTED: dict[str, tuple[str, str, str]] = {
    "accounts.Invitation": (
        "Sélectionnez l'invitation à consulter",
        "L'invitation « Exemple » a été modifiée.",
        "L'invitation « Exemple » a été supprimée.",
    ),
    "accounts.Organisation": (
        "Sélectionnez l'organisation à modifier",
        "L'organisation « Exemple » a été modifiée.",
        "L'organisation « Exemple » a été supprimée.",
    ),
    "accounts.User": (
        "Sélectionnez l'utilisateur à modifier",
        "L'utilisateur « Exemple » a été modifié.",
        "L'utilisateur « Exemple » a été supprimé.",
    ),
    "allowances.AllowanceMail": (
        "Sélectionnez l'e-mail du crédit d'heures à consulter",
        "L'e-mail du crédit d'heures « Exemple » a été modifié.",
        "L'e-mail du crédit d'heures « Exemple » a été supprimé.",
    ),
    "allowances.AllowanceRevision": (
        "Sélectionnez la révision du forfait à consulter",
        "La révision du forfait « Exemple » a été modifiée.",
        "La révision du forfait « Exemple » a été supprimée.",
    ),
    "allowances.LedgerEntry": (
        "Sélectionnez l'écriture du crédit d'heures à consulter",
        "L'écriture du crédit d'heures « Exemple » a été modifiée.",
        "L'écriture du crédit d'heures « Exemple » a été supprimée.",
    ),
    "allowances.OrganisationBalance": (
        "Sélectionnez le solde d'heures d'une organisation à consulter",
        "Le solde d'heures d'une organisation « Exemple » a été modifié.",
        "Le solde d'heures d'une organisation « Exemple » a été supprimé.",
    ),
    "allowances.TimeReportPage": (
        "Rapport de temps",  # its own title
        "Le rapport de temps « Exemple » a été modifié.",
        "Le rapport de temps « Exemple » a été supprimé.",
    ),
    "auth.Group": (
        "Sélectionnez le groupe à modifier",
        "Le groupe « Exemple » a été modifié.",
        "Le groupe « Exemple » a été supprimé.",
    ),
    "notifications.InboundMail": (
        "Sélectionnez le courriel reçu à consulter",
        "Le courriel reçu « Exemple » a été modifié.",
        "Le courriel reçu « Exemple » a été supprimé.",
    ),
    "notifications.Notification": (
        "Sélectionnez la notification à consulter",
        "La notification « Exemple » a été modifiée.",
        "La notification « Exemple » a été supprimée.",
    ),
    "notifications.UnattachedMail": (
        "Sélectionnez le courriel non rattaché à modifier",
        "Le courriel non rattaché « Exemple » a été modifié.",
        "Le courriel non rattaché « Exemple » a été supprimé.",
    ),
    "tickets.CannedReply": (
        "Sélectionnez la réponse type à modifier",
        "La réponse type « Exemple » a été modifiée.",
        "La réponse type « Exemple » a été supprimée.",
    ),
    "tickets.Category": (
        "Sélectionnez la catégorie à modifier",
        "La catégorie « Exemple » a été modifiée.",
        "La catégorie « Exemple » a été supprimée.",
    ),
    "tickets.Ticket": (
        "Sélectionnez le ticket à modifier",
        "Le ticket « Exemple » a été modifié.",
        "Le ticket « Exemple » a été supprimé.",
    ),
}

ADMINS = [pytest.param(model, model_admin, id=model._meta.label) for model, model_admin in REGISTRY]

# Django's generic wording, in its French translation (« l'objet », both apostrophes).
GENERIC = re.compile(r"l['\u2019]objet|objets? [a-zé]+ sélectionnés?|avec succès", re.IGNORECASE)


class Shown:
    """What Django's messages need of an object: its text."""

    pk = 1

    def __str__(self) -> str:
        return "Exemple"


def plain(message: Any) -> str:
    """A message as read: Django's link around the object's name dropped."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(message)))


def heading(response: Any) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", text(response), re.DOTALL)
    assert found is not None
    return found.group(1).strip()


def said(response: Any) -> list[str]:
    return [plain(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def staff(staff_user: Any) -> Client:
    browser = Client(raise_request_exception=False)
    browser.force_login(staff_user)
    return browser


def _request(staff_user: Any, method: str = "post", data: dict[str, str] | None = None) -> Any:
    request = getattr(RequestFactory(), method)("/admin/exemple/1/change/", data or {})
    request.user = staff_user
    request._messages = CookieStorage(request)
    return request


def test_every_registered_admin_has_its_noun_and_its_row() -> None:
    labels = {model._meta.label for model, _ in REGISTRY}
    assert labels == set(EXPECTED)
    for model, model_admin in REGISTRY:
        assert isinstance(model_admin, FrenchAdmin), model._meta.label
        assert isinstance(model_admin.french, Noun), model._meta.label


@pytest.mark.parametrize(("model", "model_admin"), ADMINS)
def test_changelist_title_is_french(staff: Client, model: Any, model_admin: Any) -> None:
    opts = model._meta
    response = staff.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    assert heading(response) == EXPECTED[opts.label][0]


@pytest.mark.parametrize(("model", "model_admin"), ADMINS)
def test_change_and_delete_messages_agree_with_the_noun(
    staff_user: Any, client_user: Any, model: Any, model_admin: Any
) -> None:
    """Django's own response_change and response_delete, as after a save or a deletion."""
    shown: Any = Shown()
    if model._meta.label == "tickets.Ticket":
        shown = make_ticket(reporter=client_user)
        shown.summary = "Exemple"  # what refresh_from_db brings back
        type(shown).objects.filter(pk=shown.pk).update(summary="Exemple")
    request = _request(staff_user)
    model_admin.response_change(request, shown)
    model_admin.response_delete(request, "Exemple", 1)
    messages = [plain(message) for message in request._messages]
    _title, changed, deleted = EXPECTED[model._meta.label]
    if model._meta.label == "tickets.Ticket":
        changed = changed.replace("Exemple", f"{shown.display_number} Exemple")
    assert messages == [changed, deleted]


def test_category_add_change_and_delete_read_as_french(staff: Client) -> None:
    url = "/admin/tickets/category/"
    response = staff.get(url)
    assert re.findall(r'class="addlink">\s*(.*?)\s*</a>', text(response)) == [
        "Ajouter une catégorie"
    ]

    page = staff.get(f"{url}add/")
    assert heading(page) == "Ajouter une catégorie"
    response = staff.post(
        f"{url}add/", {"name": "Anomalie", "position": "1", "is_active": "on"}, follow=True
    )
    assert said(response) == ["La catégorie « Anomalie » a été ajoutée."]
    category = Category.objects.get(name="Anomalie")

    response = staff.post(
        f"{url}add/",
        {"name": "Question", "position": "2", "is_active": "on", "_addanother": "1"},
        follow=True,
    )
    assert said(response) == [
        "La catégorie « Question » a été ajoutée. Vous pouvez ajouter une autre catégorie "
        "ci-dessous."
    ]
    response = staff.post(
        f"{url}add/",
        {"name": "Évolution", "position": "3", "is_active": "on", "_continue": "1"},
        follow=True,
    )
    assert said(response) == [
        "La catégorie « Évolution » a été ajoutée. Vous pouvez continuer à la modifier ci-dessous."
    ]
    assert heading(response) == "Modifier la catégorie"

    change = f"{url}{category.pk}/change/"
    response = staff.post(change, {"name": "Anomalie", "position": "5"}, follow=True)
    assert said(response) == ["La catégorie « Anomalie » a été modifiée."]
    response = staff.post(
        change, {"name": "Anomalie", "position": "6", "_continue": "1"}, follow=True
    )
    assert said(response) == [
        "La catégorie « Anomalie » a été modifiée. Vous pouvez continuer à la modifier ci-dessous."
    ]

    # The list's editable columns
    rows = list(Category.objects.order_by("pk"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Enregistrer",
    }
    for index, row in enumerate(rows):
        data[f"form-{index}-id"] = str(row.pk)
        data[f"form-{index}-position"] = str(10 + index)
        data[f"form-{index}-is_active"] = "on"
    response = staff.post(url, data, follow=True)
    assert said(response) == ["3 catégories ont été modifiées."]

    delete = f"{url}{category.pk}/delete/"
    page = staff.get(delete)
    assert heading(page) == "Supprimer la catégorie"
    assert "Voulez-vous vraiment supprimer la catégorie « Anomalie » ?" in text(page)
    response = staff.post(delete, {"post": "yes"}, follow=True)
    assert said(response) == ["La catégorie « Anomalie » a été supprimée."]

    # The bulk deletion: the action's name, its confirmation page and its message
    response = staff.get(url)
    assert "Supprimer les catégories sélectionnées" in text(response)
    chosen = [str(pk) for pk in Category.objects.values_list("pk", flat=True)]
    page = staff.post(url, {"action": "delete_selected", "_selected_action": chosen})
    assert heading(page) == "Supprimer les catégories sélectionnées"
    assert "Voulez-vous vraiment supprimer les catégories sélectionnées ?" in text(page)
    assert not GENERIC.search(text(page))
    response = staff.post(
        url, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}, follow=True
    )
    assert said(response) == ["2 catégories ont été supprimées."]
    assert not Category.objects.exists()


def test_one_deleted_is_singular_and_a_masculine_noun_agrees(staff: Client) -> None:
    group = Group.objects.create(name="Support N2")
    response = staff.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [str(group.pk)], "post": "yes"},
        follow=True,
    )
    assert said(response) == ["1 groupe a été supprimé."]
    response = staff.post("/admin/auth/group/add/", {"name": "Astreinte"}, follow=True)
    assert said(response) == ["Le groupe « Astreinte » a été ajouté."]


def test_an_elided_feminine_noun(staff: Client) -> None:
    response = staff.post(
        "/admin/accounts/organisation/add/",
        {
            "name": "Atelier Moreau",
            "users-TOTAL_FORMS": "0",
            "users-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    organisation = Organisation.objects.filter(name="Atelier Moreau").first()
    assert organisation is not None, text(response)[:3000]
    assert said(response) == ["L'organisation « Atelier Moreau » a été ajoutée."]


def test_a_message_of_the_admin_itself_is_left_as_it_is(staff: Client) -> None:
    CategoryFactory(name="Anomalie")
    chosen = [str(pk) for pk in Category.objects.values_list("pk", flat=True)]
    response = staff.post(
        "/admin/tickets/category/",
        {"action": "retire", "_selected_action": chosen},
        follow=True,
    )
    assert said(response) == ["1 catégorie retirée : les tickets qui l'ont la gardent."]


def test_the_object_markup_of_a_deleted_name_is_escaped(staff_user: Any) -> None:
    """Django's delete message is text: a name with markup must not become HTML."""
    request = _request(staff_user)
    admin.site._registry[Category].response_delete(request, "<b>Anomalie</b>", 1)
    (message,) = list(request._messages)
    assert "&lt;b&gt;" in str(message)


def test_english_keeps_djangos_own_sentences(staff_user: Any) -> None:
    staff_user.language = "en"
    staff_user.save(update_fields=["language"])
    browser = Client()
    browser.force_login(staff_user)
    assert heading(browser.get("/admin/tickets/category/")) == "Select category to change"


def _pages(model: Any, model_admin: Any) -> list[str]:
    opts = model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    first = model._default_manager.order_by("pk").first()
    urls = []
    for view, args in [
        ("changelist", []),
        ("add", []),
        *[(view, [first.pk]) for view in ("change", "delete", "history") if first is not None],
    ]:
        with contextlib.suppress(NoReverseMatch):  # the time report is a list only
            urls.append(reverse(f"{name}_{view}", args=args))
    return urls


def test_no_generic_sentence_left_on_any_admin_page(
    staff: Client, staff_user: Any, client_user: Any, organisation: Any
) -> None:
    """Every page of every admin a staff member opens (the list, the add and change forms,
    the deletion and history pages), with an object of each kind where one is easily made."""
    ticket = make_ticket(reporter=client_user)
    revision_create(
        organisation=organisation,
        minutes_per_month=150,
        effective_from=current_period(),
        memo="Contrat",
        by=staff_user,
    )
    adjustment_create(organisation=organisation, minutes=30, memo="Geste", by=staff_user)
    invitation_create(user=ClientFactory(organisation=organisation), by=staff_user)
    Group.objects.create(name="Support N2")
    CannedReply.objects.create(title="Relance", text="Bonjour {prénom}")
    seen = []
    for model, model_admin in REGISTRY:
        for url in _pages(model, model_admin):
            response = staff.get(url)
            if response.status_code != 200:
                assert response.status_code in {302, 403}, (url, response.status_code)
                continue
            found = GENERIC.findall(text(response))
            assert not found, (url, found)
            seen.append(url)
    organisation_id = organisation.pk
    apps = sorted({model._meta.app_label for model, _ in REGISTRY})
    for url in (
        "/admin/",
        *[reverse("admin:app_list", args=[app]) for app in apps],
        f"/admin/allowances/organisationbalance/{organisation_id}/reviser/",
        f"/admin/allowances/organisationbalance/{organisation_id}/ajuster/",
        f"/admin/tickets/ticket/{ticket.pk}/change/",
    ):
        response = staff.get(url)
        assert response.status_code == 200
        assert not GENERIC.search(text(response)), url
    assert len(seen) > len(REGISTRY)  # more than the lists were looked at


def test_a_relations_links_are_titled_from_its_noun(staff: Client, client_user: Any) -> None:
    page = text(staff.get(f"/admin/accounts/user/{client_user.pk}/change/"))
    titles = set(
        re.findall(r'class="related-widget-wrapper-link [a-z-]+"[^>]*title="([^"]*)"', page)
    )
    assert {"Modifier l'organisation sélectionnée", "Ajouter une autre organisation"} <= titles
