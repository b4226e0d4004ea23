from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from atm_support.form_defaults import DefaultedFieldsMixin

from .attachments import AttachmentsField
from .display import value_label
from .limits import (
    ADDITIONAL_INFORMATION_MAX,
    DESCRIPTION_MAX,
    NOTE_MAX,
    STEPS_MAX,
    LongTextField,
    limit_help,
    limit_sentence,
)
from .models import REPORT_FIELDS, Category, Impact, Priority, Reproducibility, Ticket

# The report form's three levels, each with its default: nothing to choose, so no star.
LEVELS: dict[str, type[Reproducibility | Impact | Priority]] = {
    "reproducibility": Reproducibility,
    "impact": Impact,
    "priority": Priority,
}


class TicketReportForm(DefaultedFieldsMixin, forms.ModelForm):
    """« Ouvrir un ticket »: Mantis' report form. Only these fields come from the client; the
    starred ones are Catégorie, Résumé and Description, the others start on a value."""

    defaulted = tuple(LEVELS)

    category = forms.ModelChoiceField(
        label=_("Catégorie"),
        queryset=Category.objects.filter(is_active=True),
        empty_label=_("— Choisissez une catégorie —"),
        help_text=_("Le type de demande : anomalie, retour projet, question…"),
    )
    attachments = AttachmentsField()

    class Meta:
        model = Ticket
        fields = list(REPORT_FIELDS)
        labels = {
            "reproducibility": _("Reproductibilité"),
            "impact": _("Impact"),
            "priority": _("Priorité"),
            "summary": _("Résumé"),
            "description": _("Description"),
            "steps_to_reproduce": _("Étapes pour reproduire"),
            "additional_information": _("Informations complémentaires"),
        }
        help_texts = {
            "reproducibility": _("L'anomalie est-elle récurrente, ponctuelle… ?"),
            "impact": _("Ses répercussions : un ou plusieurs utilisateurs, l'esthétique…"),
            "priority": _("Le degré d'urgence de la demande."),
            "summary": _(
                "L'objet de la demande en quelques mots, comme un titre (128 caractères au plus)."
            ),
            # The original sentence, then its limit (« 20 000 caractères au plus. »).
            "description": format_lazy(
                "{} {}", _("Le détail de la demande."), limit_sentence(DESCRIPTION_MAX, log=True)
            ),
            "steps_to_reproduce": format_lazy(
                "{} {}",
                _("Les étapes effectuées qui conduisent à l'anomalie constatée."),
                limit_sentence(STEPS_MAX),
            ),
            "additional_information": format_lazy(
                "{} {}",
                _(
                    "Toute information utile au suivi, par exemple la personne à contacter si ce "
                    "n'est pas vous."
                ),
                limit_sentence(ADDITIONAL_INFORMATION_MAX),
            ),
        }
        field_classes = {
            "description": LongTextField,
            "steps_to_reproduce": LongTextField,
            "additional_information": LongTextField,
        }
        widgets = {
            "summary": forms.TextInput(attrs={"maxlength": 128}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "steps_to_reproduce": forms.Textarea(attrs={"rows": 4}),
            "additional_information": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The values as the list and the ticket page write them (« Normale », tickets/display.py):
        # the catalogue's labels are lower case.
        for name, levels in LEVELS.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(value, value_label(label)) for value, label in levels.choices]

    def clean_summary(self) -> str:
        summary = " ".join(self.cleaned_data["summary"].split())
        if not summary:
            raise forms.ValidationError(_("Ce champ est obligatoire."))
        return summary

    def clean_description(self) -> str:
        description = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError(_("Ce champ est obligatoire."))
        return description


class NoteForm(forms.Form):
    """A client's note on the ticket page; `reopen` also reopens a Résolu ticket."""

    text = LongTextField(
        label=_("Ajouter une note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTE_MAX,
        help_text=limit_help(NOTE_MAX),
    )
    attachments = AttachmentsField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].error_messages["required"] = _("Écrivez votre note avant d'envoyer.")

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Écrivez votre note avant d'envoyer."))
        return text
