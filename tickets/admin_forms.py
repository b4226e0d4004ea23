"""Forms of the staff admin: the ticket page, a new note, and the questions bulk actions ask."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .attachments import AttachmentsField
from .editing import DETAIL_FIELDS
from .limits import NOTE_MAX, LongTextField, limit_help
from .models import OPEN_STATES, Category, Note, Ticket


class TicketAdminForm(forms.ModelForm):
    """The ticket page: the admin saves it through editing.py and workflow.py, never directly.

    `seen_version` is the ticket's version when the page was shown: a save based on an older one is
    refused. `refusal` is set by the admin when the workflow refused the save, to show the page
    again with the technician's input and the reason.
    """

    state = forms.ChoiceField(
        label=_("État"),
        choices=[(state.value, state.label) for state in OPEN_STATES],
        help_text=_(
            "« Affecté » demande un responsable ; « Fermé » est posé par la clôture de fin de mois."
        ),
    )
    handler = forms.ModelChoiceField(
        label=_("Affecté à"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— Personne —"),
        help_text=_("Choisir un responsable pour un ticket Nouveau ou En analyse le rend Affecté."),
    )
    category = forms.ModelChoiceField(label=_("Catégorie"), queryset=Category.objects.none())
    seen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    refusal: str | None = None

    class Meta:
        model = Ticket
        fields = ["state", "handler", *DETAIL_FIELDS]
        widgets = {
            "summary": forms.TextInput(attrs={"maxlength": 128, "class": "vTextField"}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "steps_to_reproduce": forms.Textarea(attrs={"rows": 3}),
            "additional_information": forms.Textarea(attrs={"rows": 3}),
        }
        # The limit said with the count, the text kept whole (tickets/limits.py).
        field_classes = {
            "description": LongTextField,
            "steps_to_reproduce": LongTextField,
            "additional_information": LongTextField,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ticket = self.instance
        self.initial.setdefault("seen_version", ticket.version)
        handler_field: Any = self.fields["handler"]
        handler_field.queryset = User.objects.filter(
            Q(is_staff=True, is_active=True) | Q(pk=ticket.handler_id)
        ).order_by("first_name", "last_name", "email")
        category_field: Any = self.fields["category"]
        # A retired category stays on the tickets that have it, and is offered to no other.
        category_field.queryset = Category.objects.filter(
            Q(is_active=True) | Q(pk=ticket.category_id)
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.refusal:
            raise ValidationError(self.refusal, code="refused")
        return cleaned

    @property
    def ticket_changes(self) -> list[str]:
        """The fields the technician changed (the version is not one)."""
        return [name for name in self.changed_data if name != "seen_version"]


class NewNoteForm(forms.ModelForm):
    """A staff note, saved by workflow.note_add (and its files by attachments_store)."""

    attachments = AttachmentsField()

    class Meta:
        model = Note
        fields = ["text", "is_private", "minutes_spent", "is_billable"]
        labels = {
            "text": _("Note"),
            "is_private": _("Note privée (invisible du client)"),
            "minutes_spent": _("Temps passé (minutes)"),
            "is_billable": _("Facturable"),
        }
        help_texts = {
            "is_private": _("Ni affichée ni envoyée au client, pas plus que ses fichiers."),
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"})}
        field_classes = {"text": LongTextField}


class Resolution(TextChoices):
    """Mantis' resolutions, written at the head of the resolving note."""

    FIXED = "fixed", _("corrigé")
    UNABLE_TO_REPRODUCE = "unable", _("impossible à reproduire")
    NOT_FIXABLE = "not_fixable", _("non corrigeable")
    DUPLICATE = "duplicate", _("doublon")
    NO_CHANGE = "no_change", _("pas de modification nécessaire")
    SUSPENDED = "suspended", _("suspendu")
    WONT_FIX = "wont_fix", _("ne sera pas corrigé")


class ActionNoteForm(forms.Form):
    """The note a bulk action writes on each ticket it moves (the question, the answer)."""

    text = LongTextField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        # Room for the line ResolveForm writes at the head of the note.
        max_length=NOTE_MAX - 100,
        help_text=limit_help(NOTE_MAX - 100),
    )
    minutes_spent = forms.IntegerField(
        label=_("Temps passé (minutes), par ticket"), min_value=0, initial=0, required=False
    )
    is_billable = forms.BooleanField(label=_("Facturable"), initial=True, required=False)

    def clean_text(self) -> str:
        text = str(self.cleaned_data["text"]).strip()
        if not text:
            raise ValidationError(_("La note est vide."), code="required")
        return text


class QuestionForm(ActionNoteForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Question au client")
        self.fields["text"].help_text = _(
            "Une note publique : le client la reçoit par e-mail et y répond dans le portail."
        )


class ResolveForm(ActionNoteForm):
    resolution = forms.ChoiceField(
        label=_("Résolution"), choices=Resolution.choices, initial=Resolution.FIXED
    )
    field_order = ["resolution", "text", "minutes_spent", "is_billable"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Réponse au client")
        self.fields["text"].help_text = _(
            "Une note publique, envoyée au client avec la résolution."
        )

    def note_text(self) -> str:
        label = Resolution(self.cleaned_data["resolution"]).label
        return f"{_('Résolution')} : {label}.\n\n{self.cleaned_data['text']}"
