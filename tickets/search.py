"""Finding tickets for « Afficher les tickets »: the filter form, the full-text search and sorting.

Every query here narrows a queryset the caller got from `selectors.tickets_visible_to(user)`:
nothing in this module widens it, so tenancy holds for the page, its counts and the CSV export.

On PostgreSQL the free text is a French full-text search (`websearch_to_tsquery`), accents
ignored. It is shaped as
`pk IN (tickets whose text matches) OR pk IN (tickets with a matching public note)`: each subquery
can use its GIN expression index (migrations 0004 and 0005), where a plain OR across the join would
compute `to_tsvector` for every ticket of the organisation. Private notes never take part. The
notes' subquery looks in the queryset's organisation only (`Note.organisation`, one GIN index on
(organisation, text)): its cost follows the organisation, not the whole installation (« facture »
on 200,000 tickets / 1,000,000 notes: 67 ms reading every organisation's matching notes before).
The search runs once per page: the paginator reads the matching ids once (tickets.paging).

What is typed never reaches `websearch_to_tsquery` as typed (`search_text`): PostgreSQL fails
on some ordinary input, a pasted separator line (« ------ ») for one, each `-` being a NOT
stacked on the next, more than 32 of them « tsquery stack too small »; and a few thousand words
exhaust its recursion. So the text is rebuilt from what can be searched, keeping the syntax the
box offers (words, « "une phrase" », « -sans », « ou OR autre »):

- NFC first (a Mac may send « é » as « e » + accent), control and invisible characters are
  spaces;
- a word is a run of letters and digits, joined inside by `- . @ / _` or an apostrophe
  (« mise-à-jour », « 3.2 », « lea@example.fr », « l'écran »); every other character separates
  words and is dropped, so a token of punctuation alone (« ---- », « !!( », an emoji) gives
  nothing;
- a `-` right before a word or a quote means « sans » (several are one), once per term; a dash
  alone or before punctuation is punctuation (« - facture » is « facture »); a token that gives
  several words (« facture(impayée) ») is searched as the phrase of them;
- `OR` is kept between two terms only; « or » as a word is never searched (PostgreSQL would
  take it for the operator);
- at most MAX_SEARCH_WORDS words: a bounded number of index lookups per search.

The form (TicketFilterForm.clean_q) says in French when nothing searchable is left
(« Rien à chercher… ») or when there are too many words, and keeps the text in the box; its
length is bounded too (200 characters). text_search itself, for any other caller, searches the
first MAX_SEARCH_WORDS words and finds nothing for a text with none.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BigIntegerField, Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import Col, Expression
from django.db.models.functions import Cast, Lower
from django.db.models.lookups import Exact
from django.forms import CheckboxInput
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from atm_support.search_bounds import MAX_SEARCH_LENGTH, MAX_SEARCH_WORDS

from .display import value_label
from .models import STATE_ORDER, Category, Impact, Note, Priority, State, Ticket
from .paging import read_ids_once
from .widget_renderer import PythonWidgetRenderer

# The text search configuration, and the expressions the GIN indexes of migrations 0004 (tickets)
# and 0005 (notes), rebuilt by 0006, are built on. PostgreSQL only uses an expression index for
# the very same expression: change them together (tests/tickets/test_list.py checks the plans).
# `french_unaccent` (migration 0006) is French without accents: « reglement » finds « règlement ».
SEARCH_CONFIG = "french_unaccent"
TICKET_TEXT_FIELDS = ("summary", "description", "steps_to_reproduce", "additional_information")


def ticket_document() -> SearchVector:
    return SearchVector(*TICKET_TEXT_FIELDS, config=SEARCH_CONFIG)


def note_document() -> SearchVector:
    return SearchVector("text", config=SEARCH_CONFIG)


# PositiveIntegerField's largest value: a longer run of digits cannot be a ticket number.
MAX_NUMBER = 2_147_483_647
NUMBER_PATTERN = re.compile(r"#?\s*(\d{1,12})")


def typed_number(text: str) -> int | None:
    """« 123 », « 0000123 » or « #123 » typed as text also mean the ticket number."""
    match = NUMBER_PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    number = int(match.group(1))
    return number if 0 < number <= MAX_NUMBER else None


def scoped_organisation(queryset: QuerySet[Ticket]) -> int | None:
    """The organisation `queryset` is narrowed to by `organisation_id = …` (as a client's
    `tickets_visible_to` is), or None (staff: every organisation)."""
    organisation = Ticket._meta.get_field("organisation")
    for condition in queryset.query.where.children:
        if (
            isinstance(condition, Exact)
            and isinstance(condition.lhs, Col)
            and condition.lhs.target == organisation
            and isinstance(condition.rhs, int)
        ):
            return condition.rhs
    return None


# --- what is typed, made searchable ---------------------------------------------------------

# « -mot » or « -"une phrase" » (the dashes right before a letter, a digit or a quote), then a
# quoted phrase (its closing quote may be missing) or a token up to a space or a quote.
_TOKEN = re.compile(r'(?:(?P<neg>-+)(?=[^\W_]|"))?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')
# Letters and digits, with the joiners PostgreSQL's parser keeps inside a word.
_WORD = re.compile(r"[^\W_]+(?:[-.'\u2019@/_][^\W_]+)*")
_OR = "or"


def _visible(text: str) -> str:
    """NFC, with control, format (zero-width…) and unassigned characters made spaces."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


def _words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text) if word.lower() != _OR]


@dataclass(frozen=True)
class SearchText:
    """The typed text rebuilt for `websearch_to_tsquery`: `query` ("" when nothing is left)."""

    query: str
    words: int


def search_text(typed: str, *, max_words: int | None = None) -> SearchText:
    """`typed` as a query PostgreSQL always parses (see the module's docstring)."""
    parts: list[str] = []  # terms, and "OR" between two of them
    words = 0
    for match in _TOKEN.finditer(_visible(typed)):
        phrase, word = match.group("phrase"), match.group("word")
        if phrase is None and not match.group("neg") and word.lower() == _OR:
            if parts and parts[-1] != "OR":
                parts.append("OR")
            continue
        found = _words(phrase if phrase is not None else word)
        if not found:
            continue
        if max_words is not None and words + len(found) > max_words:
            found = found[: max_words - words]
            if not found:
                break
        words += len(found)
        term = found[0] if len(found) == 1 and phrase is None else '"' + " ".join(found) + '"'
        parts.append(("-" if match.group("neg") else "") + term)
    while parts and parts[-1] == "OR":
        parts.pop()
    return SearchText(" ".join(parts), words)


def text_search(queryset: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """Tickets whose text fields or public notes contain `text`, or whose number it is."""
    text = text.strip()
    if not text:
        return queryset
    searched = search_text(text, max_words=MAX_SEARCH_WORDS).query
    number = typed_number(text)
    if not searched:
        # Nothing to look for in the text (« ---- »): only the number, if it is one.
        return queryset.filter(number=number) if number is not None else queryset.none()
    # A narrowing, never a widening: the result is still `queryset.filter(...)`, so tenancy holds
    # even if the organisation cannot be read from the queryset (the notes of all are searched).
    notes = Note.objects.filter(is_private=False)
    organisation_id = scoped_organisation(queryset)
    if organisation_id is not None:
        # As a bigint: btree_gin's operator class has no int8 = int4 operator, and PostgreSQL
        # would then leave the organisation out of the GIN index scan (20 instead of 7 ms).
        as_bigint = Cast(Value(organisation_id), output_field=BigIntegerField())
        notes = notes.filter(organisation_id=as_bigint)
    by_text: QuerySet[Any]
    by_note: QuerySet[Any]
    if connections[queryset.db].vendor == "postgresql":
        query = SearchQuery(searched, search_type="websearch", config=SEARCH_CONFIG)
        # Scoped by `queryset` (organisation, state…): PostgreSQL can then AND the GIN index with
        # the organisation's, and recheck only that organisation's rows for a very common word.
        by_text = queryset.alias(document=ticket_document()).filter(document=query)
        by_note = notes.alias(document=note_document()).filter(document=query)
    else:
        # SQLite (make run): no full-text search, a case-insensitive substring instead.
        contains = Q()
        for field in TICKET_TEXT_FIELDS:
            contains |= Q(**{f"{field}__icontains": text})
        by_text = queryset.filter(contains)
        by_note = notes.filter(text__icontains=text)
    match = Q(pk__in=by_text.values("pk")) | Q(pk__in=by_note.values("ticket_id"))
    if number is not None:
        match |= Q(number=number)
    # The match is the costly part: the page's count and rows come from one reading of its ids.
    return read_ids_once(queryset.filter(match))


# --- sorting -------------------------------------------------------------------------------

# State sorts in the workflow's order (Nouveau … Fermé), not alphabetically.
STATE_RANK = Case(
    *(When(state=state.value, then=Value(rank)) for state, rank in STATE_ORDER.items()),
    default=Value(len(STATE_ORDER)),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy translation
    sort: F | Expression | None = None
    # Dates and counts read best newest / largest first on the first click.
    first_descending: bool = False


COLUMNS = (
    Column("number", _("N°"), F("number")),
    Column("state", _("État"), STATE_RANK),
    Column("priority", _("Priorité"), F("priority"), first_descending=True),
    Column("category", _("Catégorie"), Lower("category__name")),
    Column("summary", _("Résumé"), Lower("summary")),
    Column("handler", _("Affecté à")),
    Column("updated_at", _("Mis à jour"), F("updated_at"), first_descending=True),
    Column("notes", _("Notes"), F("public_note_count"), first_descending=True),
)
SORTABLE = {column.key: column for column in COLUMNS if column.sort is not None}
DEFAULT_SORT = ("updated_at", True)


def parse_sort(value: str | None) -> tuple[str, bool]:
    """`?sort=summary` or `?sort=-summary` → (key, descending); anything else is the default."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.removeprefix("-")
    return (key, descending) if key in SORTABLE else DEFAULT_SORT


def sort_value(key: str, descending: bool) -> str:
    return f"-{key}" if descending else key


def apply_sort(queryset: QuerySet[Ticket], key: str, descending: bool) -> QuerySet[Ticket]:
    expression = SORTABLE[key].sort
    assert expression is not None
    primary = expression.desc() if descending else expression.asc()
    # The number breaks ties, so that pages never show a ticket twice or skip one.
    tie = [] if key == "number" else [F("number").desc()]
    return queryset.order_by(primary, *tie)


# --- the filter form -----------------------------------------------------------------------

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


class DayField(forms.DateField):
    """A day (« jj/mm/aaaa » or ISO), shown back in the ISO form a date input can display."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) and value:
            try:
                return self.to_python(value) or value
            except ValidationError:
                return value
        return value

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not EARLIEST <= value <= LATEST:
            raise ValidationError(
                _("Saisissez une date entre %(start)s et %(end)s."),
                code="out_of_range",
                params={"start": EARLIEST.year, "end": LATEST.year},
            )


class DateOf:
    CREATED = "created"
    UPDATED = "updated"
    CHOICES = ((CREATED, _("Création")), (UPDATED, _("Mise à jour")))
    FIELDS = {CREATED: "created_at", UPDATED: "updated_at"}


def _level_choices(choices: list[tuple[int, Any]]) -> list[tuple[Any, Any]]:
    """The filter's options written as the rows write the values (« Normale »), still lazy."""
    return [("", _("Toutes")), *((value, value_label(label)) for value, label in choices)]


# No state checked: every state but « Fermé ».
OPEN_STATES = [state.value for state in State if state != State.CLOSED]
# The list's old « Inclure les tickets fermés » switch, still in bookmarks: read as the old form
# read it, it stands for the « Fermé » box (with_closed_switch).
_CLOSED_SWITCH = forms.BooleanField(required=False)


def with_closed_switch(params: QueryDict) -> QueryDict:
    """`closed=on` of an older link, as the state boxes say it now: the states asked and
    « Fermé », or every state when none was asked (what the switch showed)."""
    if "closed" not in params:
        return params
    query = params.copy()
    typed = CheckboxInput().value_from_datadict(query, MultiValueDict(), "closed")
    del query["closed"]
    if _CLOSED_SWITCH.clean(typed):
        states = [value for value in query.getlist("state") if value.strip()] or OPEN_STATES
        query.setlist("state", [*states, State.CLOSED.value])
    return query


class TicketFilterForm(forms.Form):
    """The GET form above the list. An invalid field is reported and ignored, never fatal."""

    default_renderer = PythonWidgetRenderer()
    q = forms.CharField(
        label=_("Texte"),
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        help_text=_("Résumé, description, étapes, informations, notes ou numéro du ticket."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    state = forms.MultipleChoiceField(
        label=_("État"),
        required=False,
        choices=State.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucun état coché : tous les tickets ouverts."),
    )
    # The categories and the colleagues are read once each by a plain query in __init__: a
    # ModelChoiceField iterates its queryset with .iterator(), a server-side cursor on PostgreSQL
    # (DECLARE, FETCH, CLOSE: three round trips, two of them unseen by query counts), and fetches
    # the chosen object again to validate it. A value outside the choices is refused as before.
    category = forms.TypedChoiceField(
        label=_("Catégorie"), required=False, coerce=int, empty_value=None
    )
    priority = forms.TypedChoiceField(
        label=_("Priorité"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_level_choices(Priority.choices),
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_level_choices(Impact.choices),
    )
    reporter = forms.TypedChoiceField(
        label=_("Rapporteur"), required=False, coerce=int, empty_value=None
    )
    date_of = forms.ChoiceField(
        label=_("Date de"),
        required=False,
        choices=DateOf.CHOICES,
        initial=DateOf.CREATED,
    )
    date_from = DayField(label=_("Du"), required=False)
    date_to = DayField(label=_("Au"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        # Retired categories too: their tickets are still there.
        category.choices = [
            ("", _("Toutes")),
            *((pk, value_label(name)) for pk, name in Category.objects.values_list("pk", "name")),
        ]
        # Only the viewer's organisation: another one's id is an invalid choice, never a filter.
        reporter = self.fields["reporter"]
        assert isinstance(reporter, forms.ChoiceField)
        colleagues: list[User] = []
        if user.organisation_id is not None:
            colleagues = list(
                User.objects.filter(organisation_id=user.organisation_id, is_staff=False)
                .order_by("first_name", "last_name", "email")
                .only("pk", "first_name", "last_name", "email")
            )
        reporter.choices = [
            ("", _("Tous")),
            *((colleague.pk, str(colleague)) for colleague in colleagues),
        ]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            else:
                widget.attrs.setdefault("class", "form-control")

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound:
            # Mark the invalid fields once the errors are known (they were not in __init__).
            for name in self.errors:
                if name in self.fields:
                    widget = self.fields[name].widget
                    css = widget.attrs.get("class", "")
                    if "is-invalid" not in css:
                        widget.attrs["class"] = f"{css} is-invalid".strip()

    def clean_q(self) -> str:
        typed: str = self.cleaned_data["q"]
        if not typed or typed_number(typed) is not None:
            return typed
        searched = search_text(typed)
        if not searched.query:
            raise ValidationError(
                _(
                    "Rien à chercher dans ce texte : saisissez au moins un mot (des lettres ou "
                    "des chiffres) ou un numéro de ticket."
                ),
                code="nothing_to_search",
            )
        if searched.words > MAX_SEARCH_WORDS:
            raise ValidationError(
                _("Ce texte contient %(count)s mots ; %(limit)s mots au plus."),
                code="too_many_words",
                params={"count": searched.words, "limit": MAX_SEARCH_WORDS},
            )
        return typed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to", _("La date « Au » doit être postérieure ou égale à la date « Du ».")
            )
        return data

    # The fields laid out in the grid, with their Bootstrap column classes.
    GRID = (
        ("q", "col-12 col-lg-6"),
        ("date_of", "col-12 col-sm-4 col-lg-2"),
        ("date_from", "col-6 col-sm-4 col-lg-2"),
        ("date_to", "col-6 col-sm-4 col-lg-2"),
        ("category", "col-12 col-sm-6 col-lg-3"),
        ("priority", "col-6 col-sm-6 col-lg-3"),
        ("impact", "col-6 col-sm-6 col-lg-3"),
        ("reporter", "col-12 col-sm-6 col-lg-3"),
    )

    @property
    def grid(self) -> list[tuple[forms.BoundField, str]]:
        return [(self[name], css) for name, css in self.GRID]

    def filters(self) -> dict[str, Any]:
        """The valid values only: an invalid field is shown with its error and left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_tickets(queryset: QuerySet[Ticket], filters: dict[str, Any]) -> QuerySet[Ticket]:
    """Narrow `queryset` by the form's valid values (see TicketFilterForm.filters)."""
    queryset = queryset.filter(state__in=filters.get("state") or OPEN_STATES)
    if filters.get("category") is not None:
        queryset = queryset.filter(category=filters["category"])
    if filters.get("priority") is not None:
        queryset = queryset.filter(priority=filters["priority"])
    if filters.get("impact") is not None:
        queryset = queryset.filter(impact=filters["impact"])
    if filters.get("reporter") is not None:
        queryset = queryset.filter(reporter=filters["reporter"])
    field = DateOf.FIELDS.get(filters.get("date_of") or DateOf.CREATED, "created_at")
    if filters.get("date_from"):
        queryset = queryset.filter(**{f"{field}__gte": _start_of(filters["date_from"])})
    if filters.get("date_to"):
        end = _start_of(filters["date_to"] + timedelta(days=1))
        queryset = queryset.filter(**{f"{field}__lt": end})
    return text_search(queryset, filters.get("q") or "")
