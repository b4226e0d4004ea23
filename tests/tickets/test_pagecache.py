"""The kept client pages (atm_support/pagecache.py): served again without their queries, and never
stale after a write, whichever path the write takes."""

from __future__ import annotations

import fnmatch
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache, caches
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from allowances.ledger import adjustment_create
from atm_support import pagecache
from atm_support.cache import RedisCache
from tests.factories import CategoryFactory, ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.models import Category, State, Ticket
from tickets.workflow import note_add, ticket_assign, ticket_change_state, tickets_close_resolved

pytestmark = pytest.mark.django_db

PAGES = ["/", "/mon-affichage/", "/tickets/", "/tickets/?q=imprimante&sort=-number"]


@pytest.fixture(autouse=True)
def _page_cache_on(settings: Any) -> None:
    """On whatever the cache backend (Redis in the suite, in-memory on SQLite)."""
    settings.PAGE_CACHE = True


@pytest.fixture
def ticket(client_user: User) -> Ticket:
    return make_ticket(reporter=client_user, summary="L'imprimante n'imprime plus")


def queries(client: Any, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), text(response)


def without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def detail(ticket: Ticket) -> str:
    return f"/tickets/{ticket.number}/"


@pytest.mark.parametrize("url", [*PAGES, "ticket"])
def test_a_page_seen_again_costs_only_the_session_and_the_user(client, client_user, ticket, url):
    url = detail(ticket) if url == "ticket" else url
    client.force_login(client_user)
    first, first_page = queries(client, url)
    again, page = queries(client, url)
    # The session and the user (the session alone when sessions are cached too).
    assert again <= 2 < first
    assert without_csrf(page) == without_csrf(first_page)  # the token is masked anew each time
    assert ('data-state="new">1<' if url == "/" else "L'imprimante n'imprime plus") in page


def test_kept_html_holds_no_csrf_token_and_no_message(client, client_user, ticket):
    client.force_login(client_user)
    response = client.post(detail(ticket), {"text": "Toujours en panne", "action": "note"})
    assert response.status_code == 302
    page = text(client.get(detail(ticket)))
    assert "Votre note est ajoutée." in page
    assert "csrfmiddlewaretoken" in page  # the note form, rendered for this request
    _generation, parts = cache.get(pagecache.page_key("ticket", client_user, ticket.number))
    for part in parts.values():
        assert "csrfmiddlewaretoken" not in part
        assert "Votre note est ajoutée." not in part
    served = text(client.get(detail(ticket)))  # rendered anew: the message was shown already
    assert "Votre note est ajoutée." not in served
    # The whole page is kept with a placeholder where each request gets its own token.
    _generation, (placeholder, html) = cache.get(
        pagecache.page_key("page:ticket", client_user, ticket.number)
    )
    assert f'name="csrfmiddlewaretoken" value="{placeholder}"' in html
    assert placeholder not in served
    assert "Votre note est ajoutée." not in html


def test_the_token_of_a_kept_page_is_accepted(client_user, ticket):
    """A page served from the cache carries this request's CSRF token: its forms post."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)
    browser.get(detail(ticket))
    page = browser.get(detail(ticket)).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) == 3  # the note form, « Suivre ce ticket » and the logout button
    assert browser.cookies["csrftoken"].value
    response = browser.post(
        detail(ticket), {"text": "Posté depuis une page gardée", "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302
    assert "Posté depuis une page gardée" in text(browser.get(detail(ticket)))
    other = Client(enforce_csrf_checks=True)  # another browser's token is refused
    other.force_login(client_user)
    refused = other.post(detail(ticket), {"text": "Non", "csrfmiddlewaretoken": tokens[0]})
    assert refused.status_code == 403


def test_each_viewer_gets_their_own_page(client, client_user, organisation, ticket):
    colleague = ClientFactory(organisation=organisation, first_name="Léa", last_name="Roux")
    colleague.last_login = timezone.now() - timedelta(days=3)  # previous_login after this login
    colleague.save()
    client.force_login(client_user)
    mine = text(client.get("/mon-affichage/"))
    home = text(client.get("/"))
    client.force_login(colleague)
    theirs = text(client.get("/mon-affichage/"))
    assert mine.count("L'imprimante n'imprime plus") > theirs.count("L'imprimante n'imprime plus")
    assert "c'est votre première connexion" in home
    assert "c'est votre première connexion" not in text(client.get("/"))


def test_another_organisation_never_gets_the_kept_page(client, client_user, other_organisation):
    secret = make_ticket(reporter=client_user, summary="Secret de la boulangerie")
    stranger = ClientFactory(organisation=other_organisation)
    for url in PAGES:
        client.force_login(client_user)
        client.get(url)
        client.force_login(stranger)
        assert "Secret de la boulangerie" not in text(client.get(url))
    client.force_login(client_user)
    assert client.get(detail(secret)).status_code == 200
    client.force_login(stranger)
    response = client.get(detail(secret))
    assert response.status_code == 404
    assert "Secret de la boulangerie" not in text(response)


def test_a_client_note_shows_at_once_everywhere(client, client_user, ticket):
    client.force_login(client_user)
    before = {url: text(client.get(url)) for url in [*PAGES, detail(ticket)]}
    client.post(detail(ticket), {"text": "Le voyant clignote en orange", "action": "note"})
    assert "Le voyant clignote en orange" in text(client.get(detail(ticket)))
    assert "Le voyant clignote en orange" not in before[detail(ticket)]
    # The list's notes column moved from 0 to 1.
    assert text(client.get("/tickets/")) != before["/tickets/"]


def test_a_state_change_by_staff_shows_on_every_tab(client, client_user, staff_user, ticket):
    client.force_login(client_user)
    for url in PAGES:
        client.get(url)
    ticket_assign(ticket=ticket, handler=staff_user, by=staff_user)
    ticket_change_state(ticket=ticket, to=State.FEEDBACK, by=staff_user)
    home = text(client.get("/"))
    assert "Aucun ticket n'attend de réponse de votre part." not in home
    assert 'data-state="feedback">1<' in home
    assert "state-feedback" in text(client.get("/mon-affichage/"))
    assert "Commentaire" in text(client.get(detail(ticket)))


def test_a_handler_renamed_shows_on_the_ticket_page(client, client_user, staff_user, ticket):
    ticket_assign(ticket=ticket, handler=staff_user, by=staff_user)
    client.force_login(client_user)
    assert "Alice Renommée" not in text(client.get(detail(ticket)))
    staff_user.first_name, staff_user.last_name = "Alice", "Renommée"
    staff_user.save()
    assert "Alice Renommée" in text(client.get(detail(ticket)))


def test_a_staff_login_keeps_the_pages(client, client_user, staff_user, ticket):
    client.force_login(client_user)
    client.get("/")
    staff_user.last_login = timezone.now()
    staff_user.save(update_fields=["last_login"])
    count, _page = queries(client, "/")
    assert count <= 2


def test_a_category_renamed_or_added_shows_in_the_list(client, client_user, ticket):
    client.force_login(client_user)
    assert "Anomalie" in text(client.get("/tickets/"))
    category = Category.objects.get(name="Anomalie")
    category.name = "Bogue"
    category.save()
    page = text(client.get("/tickets/"))
    assert "Bogue" in page
    assert "Anomalie" not in page
    CategoryFactory(name="Question")
    assert '">Question</option>' in text(client.get("/tickets/"))


def test_the_month_end_close_shows_on_accueil(client, client_user, ticket, staff_user):
    ticket_change_state(ticket=ticket, to=State.RESOLVED, by=staff_user)
    client.force_login(client_user)
    assert 'data-state="resolved">1<' in text(client.get("/"))
    with transaction.atomic():  # bulk UPDATE and INSERT: no model signal
        tickets_close_resolved(
            organisation_id=client_user.organisation_id,
            resolved_before=timezone.now() + timedelta(days=1),
            now=timezone.now(),
        )
    home = text(client.get("/"))
    assert 'data-state="resolved">0<' in home
    assert 'data-state="closed">1<' in home


def test_an_hour_adjustment_shows_on_accueil(client, client_user, staff_user):
    client.force_login(client_user)
    before = text(client.get("/"))
    adjustment_create(
        organisation=client_user.organisation_id, minutes=90, memo="Geste", by=staff_user
    )
    after = text(client.get("/"))
    assert 'data-minutes="90"' in after
    assert 'data-minutes="90"' not in before


def test_a_lost_generation_never_brings_back_an_old_page(client, client_user, ticket):
    """Redis evicted or restarted: a new generation starts at a random value, not at 1."""
    client.force_login(client_user)
    assert "Nouveau titre" not in text(client.get("/tickets/"))
    Ticket.objects.filter(pk=ticket.pk).update(summary="Nouveau titre")  # no signal
    cache.delete(pagecache._generation_key(client_user.organisation_id))
    assert "Nouveau titre" in text(client.get("/tickets/"))


def test_a_write_changes_the_generation_now_and_again_after_commit(
    client_user, ticket, django_capture_on_commit_callbacks
):
    """Now: the writer's own next read is fresh. After COMMIT: a page another request rendered
    from the data before the COMMIT (under the first new generation) is never served."""
    key = pagecache._generation_key(client_user.organisation_id)
    pagecache.page_key("home", client_user)  # creates the generation
    before = cache.get(key)
    with django_capture_on_commit_callbacks(execute=True):
        note_add(ticket=ticket, author=client_user, text="Encore")
        during = cache.get(key)
        assert during != before
    assert cache.get(key) not in {before, during}


def test_off_means_rendered_every_time(client, client_user, ticket, settings):
    settings.PAGE_CACHE = False
    client.force_login(client_user)
    first, _page = queries(client, "/")
    again, _page = queries(client, "/")
    assert again == first


def test_the_language_is_part_of_the_key(client, client_user, ticket):
    client.force_login(client_user)
    assert "Synthèse des tickets" in text(client.get("/"))
    client_user.language = "en"
    client_user.save()
    client.force_login(client_user)
    assert "Synthèse des tickets" not in text(client.get("/"))


def test_staff_sees_the_admin_not_a_kept_client_page(client, client_user, ticket):
    client.force_login(client_user)
    client.get("/")
    staff = StaffFactory()
    client.force_login(staff)
    response = client.get("/")
    assert response.status_code in {302, 403}


def test_the_blank_note_form_kept_is_the_form_crispy_renders(client, client_user, ticket):
    from django.template.loader import render_to_string

    from tickets.forms import NoteForm

    client.force_login(client_user)
    page = client.get(detail(ticket)).content.decode()
    fresh = render_to_string("tickets/_note_form.html", {"form": NoteForm()})
    assert fresh.strip() in page
    assert 'name="text"' in fresh


def test_a_note_refused_keeps_what_was_typed(client, client_user, ticket):
    client.force_login(client_user)
    client.get(detail(ticket))  # the blank form is kept
    response = client.post(detail(ticket), {"text": "x" * 20001, "action": "note"})
    assert response.status_code == 400
    assert "x" * 20001 in text(response)
    assert "x" * 20001 not in text(client.get(detail(ticket)))


def test_a_process_without_the_page_cache_still_tells_the_others(
    client, client_user, ticket, settings
):
    """A Celery worker or a command started with PAGE_CACHE=0 by mistake writes too."""
    client.force_login(client_user)
    client.get(detail(ticket))
    settings.PAGE_CACHE = False
    note_add(ticket=ticket, author=client_user, text="Écrit par un autre processus")
    settings.PAGE_CACHE = True
    assert "Écrit par un autre processus" in text(client.get(detail(ticket)))


# --- The list's key: the parameters it reads, in one spelling ----------------------------------


def kept_entries() -> list[str]:
    """The kept pages and parts in the cache (generations left out), whatever the backend."""
    backend = caches["default"]
    pattern = backend.make_key(f"{pagecache.PREFIX}:*")
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client()
        keys = [key.decode() for key in client.scan_iter(match=pattern, count=1000)]
    else:  # LocMemCache: its dict of made keys
        keys = [key for key in backend._cache if fnmatch.fnmatch(key, pattern)]
    return sorted(key for key in keys if ":gen:" not in key)


def test_junk_parameters_make_no_new_entry(client, client_user, ticket):
    """Unknown parameters, and values that mean the default, are the plain list: 200 such
    requests keep what one does (they kept one page and one part each before)."""
    client.force_login(client_user)
    assert "L'imprimante n'imprime plus" in text(client.get("/tickets/"))
    kept = kept_entries()
    assert kept  # the page and its list part
    junk = [
        "?x{i}=junk{i}",
        "?utm_source=junk{i}&fbclid=junk{i}",
        "?page=1&junk{i}=",
        "?page=0{i}abc",  # garbage page: the first one
        "?sort=bogus{i}",  # unknown sort: the default one
        "?sort=-updated_at&q=&state=&category=&x=junk{i}",  # defaults and empty fields
        "?format=html{i}",
        "?date_of=created&junk=junk{i}",
    ]
    for i in range(200):
        url = "/tickets/" + junk[i % len(junk)].format(i=i)
        response = client.get(url)
        assert response.status_code == 200, url
        page = text(response)
        assert "L'imprimante n'imprime plus" in page, url
        assert "junk" not in page, url  # its links are the plain list's, not the junk's
    assert kept_entries() == kept


@pytest.mark.parametrize(
    ("first", "same"),
    [
        ("?page=1", ""),
        ("?x=junk", ""),
        ("?sort=-updated_at", ""),
        ("?date_of=created", ""),
        ("?state=new&state=assigned", "?state=assigned&state=new"),
        ("?state=new&state=new", "?state=new"),
        ("?q=%20imprimante%20", "?q=imprimante"),
        ("?closed=1&state=new", "?state=closed&state=new"),  # an old bookmark's switch
        ("?date_from=01/02/2026", "?date_from=2026-02-01"),
        ("?priority=30&sort=summary&page=1", "?sort=summary&priority=30"),
    ],
)
def test_equivalent_urls_share_one_entry(client, client_user, ticket, first, same):
    client.force_login(client_user)
    _count, first_page = queries(client, f"/tickets/{first}")
    kept = kept_entries()
    count, page = queries(client, f"/tickets/{same}")
    assert count <= 2  # served from the entry the first one made
    assert kept_entries() == kept
    assert without_csrf(page) == without_csrf(first_page)


def test_different_filters_still_get_their_own_page(client, client_user, monkeypatch):
    from tickets.views import listing

    monkeypatch.setattr(listing, "PER_PAGE", 1)
    make_ticket(reporter=client_user, summary="Écran noir")
    make_ticket(reporter=client_user, summary="Clavier bloqué", state=State.ASSIGNED)
    client.force_login(client_user)
    expected = {
        "?state=new": ({"Écran noir"}, {"Clavier bloqué"}),
        "?state=assigned": ({"Clavier bloqué"}, {"Écran noir"}),
        "?sort=number": ({"Écran noir"}, {"Clavier bloqué"}),
        "?sort=-number": ({"Clavier bloqué"}, {"Écran noir"}),
        "?sort=number&page=2": ({"Clavier bloqué"}, {"Écran noir"}),
        "?q=clavier": ({"Clavier bloqué"}, {"Écran noir"}),
        "?q=ecran": ({"Écran noir"}, {"Clavier bloqué"}),
    }
    for _round in range(2):  # rendered, then served from the cache
        for query, (shown, hidden) in expected.items():
            page = text(client.get(f"/tickets/{query}"))
            for summary in shown:
                assert summary in page, (query, summary)
            for summary in hidden:
                assert summary not in page, (query, summary)
    assert len(kept_entries()) == 2 * len(expected)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=hier{i}", "Saisissez une date valide"),
        ("category=9999{i}", "Sélectionnez un choix valide"),
        ("state=new&state=bogus{i}", "Sélectionnez un choix valide"),
        ("q=" + "x" * 200 + "{i}", "200 caractères"),
        ("date_from=2026-03-0{d}&date_to=2026-02-01", "postérieure ou égale"),
    ],
)
def test_a_refused_value_is_shown_as_typed_and_never_kept(
    client, client_user, ticket, query, message
):
    """Each refused value would be an entry of its own: the page shows the error and what was
    typed, rendered each time, never kept."""
    client.force_login(client_user)
    client.get("/tickets/")
    kept = kept_entries()
    for i in range(1, 6):
        url = "/tickets/?" + query.format(i=i, d=i + 1)
        page = text(client.get(url))
        assert message in page, url
        typed = QueryDict(url.partition("?")[2])
        for name in typed:
            if name in {"q", "date_from", "date_to"}:  # a select shows only its choices
                assert f'value="{typed[name]}"' in page, (url, name)
        assert text(client.get(url)).count(message) == page.count(message)
    assert kept_entries() == kept


def test_a_page_past_the_end_is_the_last_one_never_kept(client, client_user, ticket, monkeypatch):
    from tickets.views import listing

    monkeypatch.setattr(listing, "PER_PAGE", 1)
    make_ticket(reporter=client_user, summary="Écran noir")
    client.force_login(client_user)
    last = text(client.get("/tickets/?sort=number&page=2"))
    assert "Écran noir" in last
    kept = kept_entries()
    for page in (3, 40, 10**12, 10**30):
        assert "Écran noir" in text(client.get(f"/tickets/?sort=number&page={page}"))
    assert kept_entries() == kept


def test_a_page_too_big_to_keep_is_rendered_each_time(client, client_user, ticket, monkeypatch):
    monkeypatch.setattr(pagecache, "MAX_ENTRY_CHARS", 1000)
    client.force_login(client_user)
    first, _page = queries(client, detail(ticket))
    again, page = queries(client, detail(ticket))
    assert again == first
    assert "L'imprimante n'imprime plus" in page
    assert kept_entries() == []
