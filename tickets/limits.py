"""How long a typed text may be, told in French in the form and enforced by the database.

Why these numbers. PostgreSQL refuses to build a tsvector whose distinct lexemes take more than
1 MiB (1,048,575 bytes: « string is too long for tsvector »), and the full-text search builds
one from the ticket's summary, description, steps and additional information together, and one
from each note (tickets.search). Before the limits, a 1 MB description of distinct words was a
500 when the ticket was created. A lexeme is never longer than the word it comes from by more
than a few bytes per character: UTF-8 takes at most 4 bytes a character, lowercasing and
`unaccent` at most double that (« ½ » → « 1/2 »): 8 bytes a character is a generous bound. The
ticket's four fields together (128 + 20,000 + 10,000 + 10,000 = 40,128 characters) then make at
most ~320 KB of lexemes, a note (20,000) ~160 KB: a third of a tsvector at worst, whatever the
words (tests/tickets/test_hostile_input.py fills every field with distinct 4-byte words).

For the people: 20,000 characters are ten pages of text; a longer log or trace belongs in an
attached file, which the help text says. The hour ledger's memos are one line read on a
statement (2,000, as their forms already said). A history row holds one field's value, so the
largest of them bounds it.

Each limit is in three places, so that no path around one of them can store more: the model
field (`max_length`, which the form's field and the model's validation take up), a validator
whose message counts the characters, and a CHECK constraint on `char_length` (migrations), for
the services, scripts and raw SQL that never see a form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.deconstruct import deconstructible
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SUMMARY_MAX = 128  # Mantis' own, a varchar already
DESCRIPTION_MAX = 20_000
STEPS_MAX = 10_000
ADDITIONAL_INFORMATION_MAX = 10_000
NOTE_MAX = 20_000
HISTORY_VALUE_MAX = max(SUMMARY_MAX, DESCRIPTION_MAX, STEPS_MAX, ADDITIONAL_INFORMATION_MAX)
MEMO_MAX = 2_000


def french_count(number: int) -> str:
    """20000 as French writes it: « 20 000 » (a no-break space, never split from its digits)."""
    return f"{number:,}".replace(",", "\u00a0")


def _limit_help(limit: int) -> str:
    return gettext("%(limit)s caractères au plus") % {"limit": french_count(limit)}


def _limit_sentence(limit: int, log: bool = False) -> str:
    if log:
        return gettext(
            "%(limit)s caractères au plus ; un journal plus long se joint en fichier."
        ) % {"limit": french_count(limit)}
    return gettext("%(limit)s caractères au plus.") % {"limit": french_count(limit)}


# « 20 000 caractères au plus », for a help text: translated when shown, not at import.
limit_help = lazy(_limit_help, str)
limit_sentence = lazy(_limit_sentence, str)


@deconstructible(path="tickets.limits.TextLimit")
class TextLimit(MaxLengthValidator):
    """Django's max-length check, with a message that says how long the text is, readably."""

    message = _("Ce champ contient %(count)s caractères ; %(limit)s au plus.")

    def __call__(self, value: Any) -> None:
        count = self.clean(value)
        if self.compare(count, self.limit_value):
            raise forms.ValidationError(
                self.message,
                code=self.code,
                params={
                    "count": french_count(count),
                    "limit": french_count(self.limit_value),
                    # Django's own names, for a message written with them.
                    "limit_value": self.limit_value,
                    "show_value": count,
                    "value": value,
                },
            )


def limited_text(
    verbose_name: Any, limit: int, *, with_help: bool = False, **options: Any
) -> models.TextField[Any, Any]:
    """A TextField of at most `limit` characters: `max_length` for its forms, TextLimit's
    readable message for model validation (and `length_check` for the database, in Meta);
    with_help says the limit under the field."""
    if with_help:
        options["help_text"] = limit_help(limit)
    return models.TextField(
        verbose_name, max_length=limit, validators=[TextLimit(limit)], **options
    )


def length_check(*, model: str, field: str, limit: int) -> models.CheckConstraint:
    """The database's side of a limit: `char_length(field) <= limit` (characters, not bytes)."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), limit),
        name=f"{model}_{field}_max_length",
        # Forms say it first, with the count (TextLimit): this is for model validation alone.
        violation_error_message=_("Ce texte est trop long."),
    )


class LongTextField(forms.CharField):
    """A textarea's text, counted as the person sees it, and never cut by the browser.

    Browsers send a line break as CR LF: counted as typed (one character), the text a person
    sees at 20,000 characters is 20,000 here too, and stored with LF. And no `maxlength`
    attribute: a browser would silently cut a pasted text at the limit, where the form says how
    long it is and keeps it whole to be shortened.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.max_length is not None:
            # The count in the message, in place of Django's « au plus 20000 caractères ».
            self.validators = [
                TextLimit(self.max_length) if isinstance(v, MaxLengthValidator) else v
                for v in self.validators
            ]

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs
