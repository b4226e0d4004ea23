"""How the portal writes a value, decided once: the ticket list, the boxes, the ticket page, its
history, the CSV and the mails all go through these (templates through the `display` filters).

- A choice's label (state, priority, impact, reproducibility, category) is written as the guide
  writes the states: a capital first letter, the rest as translated (« Normale », « En analyse »).
  The catalogue keeps its lower-case msgids (so do the migrations' choices): only the display
  changes.
- A date is « 02/12/2026 » and a moment « 02/12/2026 14:05 », in local time (settings.TIME_ZONE),
  in both languages. Not the English locale's SHORT_DATE_FORMAT (« 12/02/2026 2:05 p.m. »): two
  people of one organisation, one reading French and one English, would read 02/12 as two days;
  dd/mm/yyyy is also what British English writes. The CSV rows are written after the view's
  language is gone, another reason for a format that needs none.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.text import capfirst

# DATE_FORMAT and MOMENT_FORMAT as dateformat.format would write them, spelt out: 4 µs a moment
# instead of 15 (a list page writes one per row, the ticket page one per note and history line).
DATE_FORMAT = "d/m/Y"
MOMENT_FORMAT = "d/m/Y H:i"


def value_label(label: Any) -> str:
    """« normale » → « Normale »; keeps a lazy label lazy until shown (capfirst is keep_lazy)."""
    return capfirst(label) if label else ""


def day(value: date | datetime | None) -> str:
    """« 02/12/2026 »: a date, or the local day of a moment."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def when(value: datetime | None) -> str:
    """« 02/12/2026 14:05 »: a moment in local time, where the time matters (notes, history,
    last update)."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d} {value.hour:02d}:{value.minute:02d}"


def stored_choice_label(field: models.Field[Any, Any], stored: str) -> str:
    """A choice's label as the history stored it (in the language of whoever made the change,
    « normale » or « normal »), written in the reader's language: the ticket's head says « High »
    to an English reader, its history must not say « Normale → Élevée ». A text that is no
    label of this field (a choice since renamed) is shown as it was stored."""
    if not stored:
        return ""
    labels = dict(field.flatchoices)  # lazy: each str() is in the language active then
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            value = next((key for key, label in labels.items() if str(label) == stored), None)
        if value is not None:
            return value_label(str(labels[value]))
    return value_label(stored)
