"""Staff forms of the admin: an adjustment (memo required) and a revision of the allowance."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .periods import current_period, format_period, next_period, parse_period, period_label

MONTHS_AHEAD = 12


class AdjustmentForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes"),
        help_text=_("Positif pour ajouter des heures, négatif pour en retirer (90 = 1 h 30)."),
        min_value=-100_000,
        max_value=100_000,
    )
    memo = forms.CharField(
        label=_("Motif"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Obligatoire ; le client le lit sur son relevé."),
    )

    def clean_minutes(self) -> int:
        minutes = int(self.cleaned_data["minutes"])
        if minutes == 0:
            raise forms.ValidationError(_("Un ajustement de 0 minute ne change rien."))
        return minutes


def month_choices(today: date | None = None) -> list[tuple[str, str]]:
    period = current_period() if today is None else today.replace(day=1)
    choices = []
    for _index in range(MONTHS_AHEAD + 1):
        choices.append((format_period(period), period_label(period).capitalize()))
        period = next_period(period)
    return choices


class RevisionForm(forms.Form):
    minutes_per_month = forms.IntegerField(
        label=_("Minutes par mois"),
        min_value=0,
        max_value=100_000,
        help_text=_("60 = 1 h, 120 = 2 h…"),
    )
    effective_from = forms.ChoiceField(
        label=_("À compter de"),
        help_text=_(
            "Le mois en cours ou un mois suivant. Pour le mois en cours, la différence avec le "
            "crédit déjà versé est ajustée tout de suite."
        ),
    )
    memo = forms.CharField(
        label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["effective_from"].choices = month_choices()  # type: ignore[attr-defined]

    def clean_effective_from(self) -> date:
        return parse_period(self.cleaned_data["effective_from"])
