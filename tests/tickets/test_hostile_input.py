"""Hostile input: search text PostgreSQL cannot parse as typed, and texts too long to index.

Every search box (the portal's list, its CSV export, the quick search, every admin changelist
with a search) answers 200 with results or a French message; every text field has a limit told
in French, the typed text is kept when refused, and the database refuses a longer text too.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
from typing import Any

import pytest
from django.contrib import admin
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.models import Organisation
from allowances.models import AllowanceMail, AllowanceRevision, Kind, LedgerEntry, MailKind
from tests.factories import CategoryFactory, make_ticket
from tests.utils import text
from tickets.models import HistoryEntry, Impact, Note, Priority, Reproducibility, State, Ticket
from tickets.search import MAX_SEARCH_WORDS, SEARCH_CONFIG, search_text, ticket_document
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

LIST = "/tickets/"
QUICK = "/recherche/"
REPORT = "/tickets/nouveau/"

# The limits as README tells them (« 20 000 caractères au plus »…): the models must say the same.
LIMITS = {
    (Ticket, "description"): 20_000,
    (Ticket, "steps_to_reproduce"): 10_000,
    (Ticket, "additional_information"): 10_000,
    (Note, "text"): 20_000,
    (HistoryEntry, "old_value"): 20_000,
    (HistoryEntry, "new_value"): 20_000,
    (AllowanceRevision, "memo"): 2_000,
    (LedgerEntry, "memo"): 2_000,
    (AllowanceMail, "last_error"): 2_000,
}

# A tsvector stores at most 1 MiB of distinct lexemes: this is over it.
TSVECTOR_MAX = 1_048_575


def distinct_words(size: int) -> str:
    """`size` characters of words that are all different and that the French stemmer keeps
    whole (consonants only: no vowel, no suffix to remove), the worst case for a tsvector."""
    consonants = "bcdfghjklmnpqrstvwxz"
    words = ("".join(letters) for letters in itertools.product(consonants, repeat=9))
    parts: list[str] = []
    length = 0
    for word in words:
        if length + len(word) + 1 > size:
            break
        parts.append(word)
        length += len(word) + 1
    result = " ".join(parts)
    return result + "x" * (size - len(result))


MEGABYTE_OF_WORDS = distinct_words(1_100_000)


def formatted(number: int) -> str:
    """20000 as French writes it in a message: « 20 000 » (a no-break space)."""
    return f"{number:,}".replace(",", "\u00a0")


# --- search ----------------------------------------------------------------------------------

WITNESS = "Facture impayée du client"

# (typed, what the page must show): "found" for the witness ticket, else a French message.
NOTHING = "Rien à chercher"
TOO_LONG = "Assurez-vous que cette valeur comporte au plus 200 caractères"
TOO_MANY = "mots au plus"
# A NUL byte: the portal's form says it next to the field (text kept); the admin answers 400
# (atm_support/input_guards.py).
NUL = "caractère nul"
HOSTILE_SEARCHES: list[tuple[str, str]] = [
    ("-" * 80, NOTHING),
    ("=" * 80, NOTHING),
    ("_-" * 40, NOTHING),
    ("*" * 199, NOTHING),
    ("- " * 40 + "facture", "found"),
    ("-(" * 40 + "facture", "found"),
    ("facture" + "-(" * 40 + "impayée", "found"),
    ("facture " + "!(" * 40 + "impayée", "found"),
    ('-"' * 60, NOTHING),
    ('"' * 120, NOTHING),
    ('"facture', "found"),
    ('"facture impayée"', "found"),
    ('-"-"-"-"-" facture', "Aucun ticket"),  # the last quote opens « -"facture" »: sans
    ("OR OR OR", NOTHING),
    ("OR facture OR OR", "found"),
    ("facture OR " * 15 + "facture", "found"),
    ("facture:* & impayée | !client", "found"),
    ("<-> facture <2> impayée", "Aucun ticket"),  # « 2 » is a word: not in the ticket
    ("((((((((((((((((((((((((((((((((((((((facture", "found"),
    ("facture\x00", NUL),
    ("\x00" * 5, NUL),
    ("facture \U0001f600\U0001f4a5", "found"),
    ("\U0001f600" * 50, NOTHING),
    ("\u200b\u200b\u200b", NOTHING),
    ("fa\u0301cture", "found"),  # « á » typed as « a » + an accent (NFD, as a Mac may send)
    ("'; DROP TABLE tickets_ticket; --", "Aucun ticket"),
    ("1' OR '1'='1", "Aucun ticket"),
    ("<script>alert('facture')</script>", "Aucun ticket"),  # the phrase « script alert… »
    ("facture (impayée)", "found"),
    ("%_%\\", NOTHING),
    ("#" * 150, NOTHING),
    ("99999999999999999999", "Aucun ticket"),
    (" ".join(["fa"] * 60), TOO_MANY),
    ("x" * 10_000, TOO_LONG),
    (" ".join(f"mot{index}" for index in range(2000)), TOO_LONG),
    (("-" * 50 + " ") * 200, TOO_LONG),
]


@pytest.fixture
def witness(client_user: Any) -> Ticket:
    return make_ticket(reporter=client_user, summary=WITNESS, description="Montant erroné.")


@pytest.fixture
def signed_in(client: Any, client_user: Any) -> Any:
    client.force_login(client_user)
    return client


@pytest.mark.parametrize(("typed", "shown"), HOSTILE_SEARCHES)
def test_hostile_search_answers_results_or_a_french_message(signed_in, witness, typed, shown):
    response = signed_in.get(LIST, {"q": typed})

    page = text(response)
    assert response.status_code == 200
    row = f">{witness.display_number}</a>"
    if shown == "found":
        assert row in page
        assert not response.context["form"].errors
    else:
        assert shown in page
        assert row not in page or response.context["form"].errors  # refused: the list unfiltered
    # The text is kept in the box, to be corrected.
    assert response.context["form"]["q"].value() == typed


@pytest.mark.parametrize(("typed", "shown"), HOSTILE_SEARCHES)
def test_hostile_search_exports_a_csv(signed_in, witness, typed, shown):
    response = signed_in.get(LIST, {"q": typed, "format": "csv"})

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0][0] == "N°"
    if shown == "found":
        assert [row[0] for row in rows[1:]] == [witness.display_number]


@pytest.mark.parametrize(("typed", "shown"), HOSTILE_SEARCHES)
def test_hostile_quick_search_lands_on_the_list(signed_in, witness, typed, shown):
    response = signed_in.get(QUICK, {"q": typed}, follow=True)

    assert response.status_code == 200
    if shown == "found":
        assert f">{witness.display_number}</a>" in text(response)


def searchable_changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model, model_admin in admin.site._registry.items()
        if model_admin.search_fields
    ]


def test_every_searchable_admin_is_covered():
    urls = searchable_changelists()
    assert "/admin/tickets/ticket/" in urls
    assert len(urls) >= 8


@pytest.mark.parametrize(("typed", "shown"), HOSTILE_SEARCHES)
def test_hostile_search_in_every_admin_changelist(client, staff_user, witness, typed, shown):
    client.force_login(staff_user)
    for url in searchable_changelists():
        response = client.get(url, {"q": typed})

        assert response.status_code == 200, url
        if shown == NUL:
            assert NUL in text(response), url


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (" ".join(["fa"] * 40), "40 mots ; 32 mots au plus"),
        (" ".join(f"mot{index}" for index in range(2000)), "caractères au plus"),
        ("x" * 10_000, "10000 caractères ; 200 caractères au plus"),
    ],
)
def test_every_admin_search_says_why_it_ignores_an_oversized_search(
    client, staff_user, witness, typed, message
):
    client.force_login(staff_user)
    for url in searchable_changelists():
        response = client.get(url, {"q": typed})

        assert response.status_code == 200, url
        assert message in text(response), url
    # The ticket list is shown whole, not filtered by what was ignored.
    assert witness.display_number in text(client.get("/admin/tickets/ticket/", {"q": typed}))


# --- text limits -----------------------------------------------------------------------------


def test_every_text_field_has_a_limit_in_the_model_and_the_database():
    for (model, name), limit in LIMITS.items():
        field = model._meta.get_field(name)
        assert field.max_length == limit, (model, name)
        assert any(getattr(v, "limit_value", None) == limit for v in field.validators), name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'c' AND pg_get_constraintdef(oid) LIKE '%length(%'"
        )
        checks = cursor.fetchall()
    for (model, name), limit in LIMITS.items():
        table = model._meta.db_table
        assert any(t == table and name in d and f"<= {limit}" in d for t, d in checks), name


def test_every_text_or_char_field_of_the_project_is_bounded():
    from django.apps import apps
    from django.db import models

    unbounded = [
        f"{model._meta.label}.{field.name}"
        for app in ("accounts", "tickets", "allowances")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField | models.TextField) and not field.max_length
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    ("model", "name", "values"),
    [
        (Ticket, "description", {}),
        (Ticket, "steps_to_reproduce", {}),
        (Ticket, "additional_information", {}),
    ],
)
def test_the_database_refuses_a_ticket_text_over_the_limit(
    client_user, witness, model, name, values
):
    limit = LIMITS[(model, name)]
    Ticket.objects.filter(pk=witness.pk).update(**{name: "é" * limit})  # exactly: accepted
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=witness.pk).update(**{name: "é" * (limit + 1)})


def test_the_database_refuses_a_note_and_a_history_value_over_the_limit(
    client_user, staff_user, witness
):
    note = note_add(ticket=witness, author=staff_user, text="Je regarde.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Note.objects.filter(pk=note.pk).update(text="x" * 20_001)
    with pytest.raises(IntegrityError), transaction.atomic():
        HistoryEntry.objects.create(ticket=witness, field="description", new_value="x" * 20_001)
    with pytest.raises(IntegrityError), transaction.atomic():
        HistoryEntry.objects.create(ticket=witness, field="description", old_value="x" * 20_001)


def test_the_database_refuses_an_allowance_memo_or_error_over_the_limit(
    organisation: Organisation, client_user
):
    from datetime import date

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            organisation=organisation,
            kind=Kind.ADJUSTMENT,
            period=date(2026, 1, 1),
            minutes=10,
            memo="x" * 2_001,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AllowanceRevision.objects.create(
            organisation=organisation,
            minutes_per_month=60,
            effective_from=date(2026, 1, 1),
            memo="x" * 2_001,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AllowanceMail.objects.create(
            kind=MailKind.STATEMENT,
            organisation=organisation,
            recipient=client_user,
            balance=0,
            last_error="x" * 2_001,
        )


def test_a_ticket_at_every_limit_with_the_worst_words_is_still_indexed(client_user, staff_user):
    """The limits keep the ticket's document and a note under a tsvector's 1 MiB, whatever the
    words: here every field is full of distinct words of 4-byte letters (mathematical bold
    letters, kept as they are by unaccent), the largest lexemes a character can make."""
    letters = [chr(code) for code in range(0x1D41A, 0x1D434)]  # bold a to z, 4 bytes each
    words = ("".join(p) for p in itertools.product(letters, repeat=4))

    def fill(size: int) -> str:
        return " ".join(itertools.islice(words, size // 5))[:size]

    ticket = make_ticket(
        reporter=client_user,
        summary=fill(128),
        description=fill(20_000),
        steps_to_reproduce=fill(10_000),
        additional_information=fill(10_000),
    )
    note_add(ticket=ticket, author=staff_user, text=fill(20_000))

    size = (
        Ticket.objects.filter(pk=ticket.pk)
        .annotate(document=ticket_document())
        .values_list("document", flat=True)
        .get()
    )
    assert size  # computed, no « string is too long for tsvector »
    assert len(ticket.description.encode()) > 3 * len(ticket.description)  # 4-byte letters
    assert text_search_for(client_user, ticket.description.split()[7]) == [ticket.pk]


def text_search_for(user: Any, typed: str) -> list[int]:
    from tickets.search import text_search
    from tickets.selectors import tickets_visible_to

    return list(text_search(tickets_visible_to(user), typed).values_list("pk", flat=True))


# Report form: every text field, at 1 MB of distinct words, at the limit + 1 and at the limit.
REPORT_TEXTS = {
    "description": 20_000,
    "steps_to_reproduce": 10_000,
    "additional_information": 10_000,
}


def report(category: Any, **fields: str) -> dict[str, Any]:
    return {
        "category": category.pk,
        "reproducibility": Reproducibility.ALWAYS,
        "impact": Impact.MAJOR,
        "priority": Priority.HIGH,
        "summary": "La facture ne s'imprime pas",
        "description": "Le bouton Imprimer ne fait rien.",
        "steps_to_reproduce": "Cliquer sur Imprimer",
        "additional_information": "Contacter Léa",
        **fields,
    }


@pytest.mark.parametrize("field", REPORT_TEXTS)
@pytest.mark.parametrize("size", ["megabyte", "limit+1"])
def test_report_form_refuses_a_text_over_its_limit_in_french_and_keeps_it(signed_in, field, size):
    limit = REPORT_TEXTS[field]
    typed = MEGABYTE_OF_WORDS if size == "megabyte" else distinct_words(limit + 1)
    data = report(CategoryFactory(name="Anomalie"), **{field: typed})

    response = signed_in.post(REPORT, data)

    assert response.status_code == 400
    page = text(response)
    assert (
        f"Ce champ contient {formatted(len(typed))} caractères ; {formatted(limit)} au plus."
        in (page)
    )
    assert typed in page  # nothing typed is lost
    assert data["summary"] in page
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("field", REPORT_TEXTS)
def test_report_form_accepts_a_text_at_its_limit_and_says_the_limit(signed_in, field):
    limit = REPORT_TEXTS[field]
    typed = distinct_words(limit)
    page = text(signed_in.get(REPORT))
    assert f"{formatted(limit)} caractères au plus" in page

    response = signed_in.post(REPORT, report(CategoryFactory(name="Anomalie"), **{field: typed}))

    assert response.status_code == 302
    assert getattr(Ticket.objects.get(), field) == typed


def test_report_form_counts_a_line_break_once(signed_in):
    """A browser sends line breaks as CR LF: the person typed one character, not two."""
    typed = "ligne\r\n" * 3_000  # 21 000 characters sent, 18 000 typed
    response = signed_in.post(
        REPORT, report(CategoryFactory(name="Anomalie"), description=typed.strip())
    )
    assert response.status_code == 302
    assert Ticket.objects.get().description == typed.strip().replace("\r\n", "\n")


@pytest.mark.parametrize("size", ["megabyte", "limit+1"])
def test_note_form_refuses_a_note_over_its_limit_in_french_and_keeps_it(signed_in, witness, size):
    typed = MEGABYTE_OF_WORDS if size == "megabyte" else distinct_words(20_001)

    response = signed_in.post(witness.get_absolute_url(), {"action": "note", "text": typed})

    assert response.status_code == 400
    page = text(response)
    assert f"Ce champ contient {formatted(len(typed))} caractères ; 20\u00a0000 au plus." in page
    assert typed in page
    assert not Note.objects.filter(ticket=witness).exists()


def test_note_form_accepts_a_note_at_its_limit(signed_in, witness):
    typed = distinct_words(20_000)
    assert "20\u00a0000 caractères au plus" in text(signed_in.get(witness.get_absolute_url()))

    response = signed_in.post(witness.get_absolute_url(), {"action": "note", "text": typed})

    assert response.status_code == 302
    assert Note.objects.get(ticket=witness).text == typed


def test_account_email_refuses_a_megabyte_in_french(signed_in):
    response = signed_in.post(
        reverse("accounts:account"),
        {"action": "email", "new_email": MEGABYTE_OF_WORDS, "password": "x"},
    )
    assert response.status_code == 400
    assert "Assurez-vous que cette valeur comporte au plus 320 caractères" in text(response)


# --- the admin's ticket page -----------------------------------------------------------------


def admin_page_data(ticket: Ticket, **changes: Any) -> dict[str, Any]:
    ticket.refresh_from_db()
    data: dict[str, Any] = {
        "state": ticket.state,
        "handler": ticket.handler_id or "",
        "category": ticket.category_id,
        "reproducibility": ticket.reproducibility,
        "impact": ticket.impact,
        "priority": ticket.priority,
        "summary": ticket.summary,
        "description": ticket.description,
        "steps_to_reproduce": ticket.steps_to_reproduce,
        "additional_information": ticket.additional_information,
        "resolution": ticket.resolution,
        "seen_version": ticket.version,
        "notes-TOTAL_FORMS": 1,
        "notes-INITIAL_FORMS": 0,
        "notes-MIN_NUM_FORMS": 0,
        "notes-MAX_NUM_FORMS": 1,
        "notes-0-text": "",
        "notes-0-minutes_spent": 0,
        "notes-0-is_billable": "on",
        "_save": "Enregistrer",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(("field", "limit"), [*REPORT_TEXTS.items(), ("notes-0-text", 20_000)])
@pytest.mark.parametrize("size", ["megabyte", "limit+1"])
def test_admin_ticket_page_refuses_a_text_over_its_limit_and_keeps_it(
    client, staff_user, witness, field, limit, size
):
    client.force_login(staff_user)
    typed = MEGABYTE_OF_WORDS if size == "megabyte" else distinct_words(limit + 1)
    url = f"/admin/tickets/ticket/{witness.pk}/change/"

    response = client.post(url, admin_page_data(witness, **{field: typed}))

    assert response.status_code == 200
    page = text(response)
    assert (
        f"Ce champ contient {formatted(len(typed))} caractères ; {formatted(limit)} au plus."
        in (page)
    )
    assert typed in page
    witness.refresh_from_db()
    assert witness.version == 1
    assert not Note.objects.filter(ticket=witness).exists()


@pytest.mark.parametrize(("field", "limit"), [*REPORT_TEXTS.items(), ("notes-0-text", 20_000)])
def test_admin_ticket_page_accepts_a_text_at_its_limit(client, staff_user, witness, field, limit):
    client.force_login(staff_user)
    typed = distinct_words(limit)
    url = f"/admin/tickets/ticket/{witness.pk}/change/"

    response = client.post(url, admin_page_data(witness, **{field: typed}))

    assert response.status_code == 302
    if field == "notes-0-text":
        assert Note.objects.get(ticket=witness).text == typed
    else:
        witness.refresh_from_db()
        assert getattr(witness, field) == typed


@pytest.mark.parametrize("action", ["ask_client", "resolve"])
def test_admin_bulk_action_note_over_the_limit_is_refused_in_french(
    client, staff_user, witness, action
):
    client.force_login(staff_user)
    Ticket.objects.filter(pk=witness.pk).update(state=State.ASSIGNED, handler=staff_user)
    typed = distinct_words(20_001)
    data = {
        "action": action,
        "_selected_action": [witness.pk],
        "apply": "1",
        "text": typed,
        "minutes_spent": 0,
        "resolution": "fixed",
    }

    response = client.post("/admin/tickets/ticket/", data)

    assert response.status_code == 200
    page = text(response)
    assert "au plus." in page
    assert typed in page
    assert not Note.objects.filter(ticket=witness).exists()


# --- the query text itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("facture impayée", "facture impayée"),
        ('"facture impayée" -avoir', '"facture impayée" -avoir'),
        ("facture OR avoir", "facture OR avoir"),
        ("OR OR facture OR OR", "facture"),
        ("- facture", "facture"),  # a dash alone is punctuation
        ("--avoir", "-avoir"),
        ("-" * 80, ""),
        ("mise-à-jour l'écran lea@example.fr 3.2", "mise-à-jour l'écran lea@example.fr 3.2"),
        ("facture(impayée)", '"facture impayée"'),
        ("C++ \U0001f600 !!!", "C"),
        ("fa\u0301cture\u200bimpayée", "fácture impayée"),  # NFC; a zero-width space is one
    ],
)
def test_search_text_keeps_the_syntax_and_drops_what_cannot_be_searched(typed, query):
    assert search_text(typed).query == query


def test_search_text_always_gives_a_query_postgresql_parses():
    """Thousands of random strings of letters, operators and punctuation: never an error."""
    characters = "ab1é -_\"'()!&|<>:*@./\\,;?#%+=~`^$[]{}\u2019\t\n\u200b\x01\U0001f600"
    alphabet = [*characters, "OR", "or"]
    rng = random.Random(12)
    cases = ["".join(rng.choices(alphabet, k=rng.randint(1, 200))) for _ in range(2000)]
    tokens = ["-", "--", "or", "OR", '"', '-"', "!", "(", "a", "b-c", "d'e", "f@g.h", "-x"]
    cases += [" ".join(rng.choices(tokens, k=rng.randint(1, 3000))) for _ in range(100)]
    with connection.cursor() as cursor:
        for case in cases:
            query = search_text(case, max_words=MAX_SEARCH_WORDS).query
            cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)", [SEARCH_CONFIG, query])
    # The same strings as typed do fail: the rebuilt text is what makes the difference.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)", [SEARCH_CONFIG, "-" * 40])
