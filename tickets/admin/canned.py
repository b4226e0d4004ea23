"""The canned replies' admin (« Réponses types »), and the picker that inserts one into a note.

Staff write a reply once, with placeholders (tickets/canned.py); the ticket page and the bulk
actions that write a note offer the active ones in a select beside the note, whose « Insérer »
button (static/js/canned_replies.js) puts the reply's text into the note's textarea. The texts
come with the page (json_script), filled for the ticket on its page, as written in the actions
(their note is filled for each ticket when the action runs).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.access import is_staff
from accounts.models import User
from atm_support.admin_french import FrenchAdmin, Noun

from ..canned import CANNED_MAX, PLACEHOLDERS, CannedReply, unknown_placeholders
from ..limits import LongTextField, limit_sentence
from ..models import Ticket

# The id of the page's json_script that the picker reads (static/js/canned_replies.js).
TEXTS_ID = "canned-replies-texts"


def placeholders_list() -> SafeString:
    """« {prénom} : le prénom du client… », one item per placeholder, for help texts."""
    return format_html(
        '<ul class="canned-placeholders">{}</ul>',
        format_html_join(
            "", "<li><code>{{{}}}</code> : {}</li>", ((p.name, p.description) for p in PLACEHOLDERS)
        ),
    )


class CannedReplyPicker(forms.Select):
    """A select of the active replies and its « Insérer » button, which puts the chosen reply
    into the textarea of the same form named like the select with `text` for `canned_reply`
    (static/js/canned_replies.js). The button is hidden until the script shows it: without the
    script it would do nothing."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        select = super().render(name, value, attrs, renderer)
        return format_html(
            '<span class="canned-picker" data-texts="{}">{} '
            '<button type="button" class="button canned-insert" hidden>{}</button></span>',
            TEXTS_ID,
            select,
            gettext("Insérer"),
        )


class CannedReplyField(forms.ModelChoiceField[CannedReply]):
    """The picker as a form field: the active replies, none chosen. A reply retired since the
    page was shown is no error: the note's text is what counts."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Réponse type"))
        super().__init__(
            queryset=CannedReply.objects.offered(),
            required=False,
            empty_label=_("— Choisir une réponse type —"),
            widget=CannedReplyPicker,
            **kwargs,
        )

    def clean(self, value: Any) -> CannedReply | None:
        try:
            return super().clean(value)
        except ValidationError:
            return None


def filled_texts(*, ticket: Ticket, author: User) -> dict[str, str]:
    """The active replies' texts, filled for `ticket` as `author` writes the note, by id."""
    return {
        str(reply.pk): reply.filled(ticket=ticket, author=author)
        for reply in CannedReply.objects.offered()
    }


def raw_texts() -> dict[str, str]:
    """The active replies' texts as written: for an action on several tickets."""
    return {str(pk): text for pk, text in CannedReply.objects.offered().values_list("pk", "text")}


class CannedReplyForm(forms.ModelForm):
    text = LongTextField(
        label=_("Texte"),
        max_length=CANNED_MAX,
        widget=forms.Textarea(attrs={"rows": 10, "class": "vLargeTextField"}),
    )

    class Meta:
        model = CannedReply
        fields = ["title", "text", "is_active", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = format_html(
            "{} {}{}",
            limit_sentence(CANNED_MAX),
            gettext(
                "Ces champs, entre accolades, sont remplis pour le ticket où la réponse est "
                "insérée (majuscules et accents indifférents) :"
            ),
            placeholders_list(),
        )

    def clean_text(self) -> str:
        text = str(self.cleaned_data["text"])
        unknown = unknown_placeholders(text)
        if unknown:
            raise ValidationError(
                ngettext(
                    "Champ inconnu : %(names)s. Les champs possibles sont %(known)s.",
                    "Champs inconnus : %(names)s. Les champs possibles sont %(known)s.",
                    len(unknown),
                )
                % {
                    "names": ", ".join(unknown),
                    "known": ", ".join(f"{{{p.name}}}" for p in PLACEHOLDERS),
                },
                code="unknown_placeholder",
            )
        return text


class ListRowForm(forms.ModelForm):
    """A row of the list's editable columns: Django's inputs there have no label, so each says
    which reply it sets (« Ordre de « Relance » »), for a screen reader as for axe."""

    class Meta:
        model = CannedReply
        fields = ["position", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        title = self.instance.title
        self.fields["position"].widget.attrs["aria-label"] = gettext("Ordre de « %s »") % title
        self.fields["is_active"].widget.attrs["aria-label"] = gettext("« %s » proposée") % title


class CannedReplyAdmin(FrenchAdmin, admin.ModelAdmin[CannedReply]):
    """Every active staff member manages the replies, as they work the tickets."""

    french = Noun("la", "réponse type", "réponses types", feminine=True)

    form = CannedReplyForm
    list_display = ["title", "preview", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "text"]
    ordering = ["position", "title"]

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        return ListRowForm

    @admin.display(description=_("texte"))
    def preview(self, obj: CannedReply) -> str:
        return Truncator(" ".join(obj.text.split())).chars(90)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)
