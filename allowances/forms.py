"""Staff forms of the admin: an adjustment (memo required) and a revision of the allowance."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from atm_support.minutes import format_minutes

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


MAX_MONTHLY_MINUTES = 100_000  # about 1 666 h: far above any contract, below any overflow


class RevisionForm(forms.Form):
    """The monthly allowance in hours and minutes (« 2 h 30 »), stored in minutes
    (`cleaned_data["minutes_per_month"]`); `current` (minutes) fills the fields."""

    hours = forms.IntegerField(
        label=_("Heures"),
        required=False,
        help_text=_("Le forfait mensuel : 2 heures et 30 minutes pour 2 h 30."),
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_MONTHLY_MINUTES // 60, "step": 1}),
        error_messages={"invalid": _("Indiquez un nombre entier d'heures, par exemple 2.")},
    )
    minutes = forms.IntegerField(
        label=_("Minutes"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 59, "step": 1}),
        help_text=_("De 0 à 59. 0 heure et 0 minute : plus de forfait."),
        error_messages={"invalid": _("Indiquez un nombre entier de minutes, de 0 à 59.")},
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

    def __init__(self, *args: Any, current: int | None = None, **kwargs: Any) -> None:
        if current is not None:
            kwargs.setdefault("initial", {"hours": current // 60, "minutes": current % 60})
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].choices = month_choices()  # type: ignore[attr-defined]

    def clean_hours(self) -> int | None:
        hours = self.cleaned_data["hours"]
        if hours is not None and hours < 0:
            raise forms.ValidationError(_("Un forfait ne peut pas être négatif."))
        if hours is not None and hours * 60 > MAX_MONTHLY_MINUTES:
            raise forms.ValidationError(
                _("Au plus %(hours)s heures par mois.") % {"hours": MAX_MONTHLY_MINUTES // 60}
            )
        return hours

    def clean_minutes(self) -> int | None:
        minutes = self.cleaned_data["minutes"]
        if minutes is not None and minutes < 0:
            raise forms.ValidationError(_("Un forfait ne peut pas être négatif."))
        if minutes is not None and minutes >= 60:
            raise forms.ValidationError(
                _(
                    "Les minutes vont de 0 à 59 : %(minutes)s minutes font %(amount)s, "
                    "écrivez %(hours)s en heures et %(rest)s en minutes."
                )
                % {
                    "minutes": minutes,
                    "hours": minutes // 60,
                    "rest": minutes % 60,
                    "amount": format_minutes(minutes),
                }
            )
        return minutes

    def clean_effective_from(self) -> date:
        return parse_period(self.cleaned_data["effective_from"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "hours" not in cleaned or "minutes" not in cleaned:
            return cleaned  # a field's own error is said
        hours, minutes = cleaned["hours"], cleaned["minutes"]
        if hours is None and minutes is None:
            self.add_error(
                "hours",
                _("Indiquez le forfait en heures et minutes (0 et 0 pour aucun forfait)."),
            )
            return cleaned
        total = (hours or 0) * 60 + (minutes or 0)
        if total > MAX_MONTHLY_MINUTES:
            self.add_error(
                "hours",
                _("Au plus %(hours)s heures par mois.") % {"hours": MAX_MONTHLY_MINUTES // 60},
            )
            return cleaned
        cleaned["minutes_per_month"] = total
        return cleaned
