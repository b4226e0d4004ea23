"""Fields with a default are not marked required: the star is for what a person must fill.

As in MantisBT, « Ouvrir un ticket » stars Catégorie, Résumé and Description only: Reproductibilité,
Impact and Priorité start on a value, and so does the language in « Mon compte ». Crispy forms
stars every required field, so these are made optional, and a form sent without their value (an
empty or missing one) keeps the value they started on instead of refusing it. A value outside the
choices is still refused by the field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms


class DefaultedFieldsMixin(forms.BaseForm):
    defaulted: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.defaulted:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.defaulted:
            if name not in self.errors and cleaned.get(name) in (None, ""):
                cleaned[name] = self.get_initial_for_field(self.fields[name], name)
        return cleaned
