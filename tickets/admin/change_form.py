"""The ticket page: its form, « Ajouter une note », and its save (editing.py, then workflow.py).

The page's fields are saved by ticket_update_details, then the handler and the state by the
workflow's functions, in the request's transaction; a refusal (a stale page, a move the rules
forbid) shows the page again with the input and the reason. Other apps add read-only lines to
its « Traitement » with `ticket_display` (tickets imports none of them).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.access import is_staff, staff_member
from accounts.models import User
from atm_support.middleware import accepts_uploads
from atm_support.minutes import format_minutes

from ..attachments import AttachmentsField, attachments_store
from ..editing import DETAIL_FIELDS, ticket_update_details
from ..limits import LongTextField
from ..models import OPEN_STATES, Attachment, Category, Note, State, Ticket
from ..selectors import ticket_links
from ..views.detail import history_lines
from ..workflow import WorkflowError, note_add, ticket_assign, ticket_change_state
from .canned import CannedReplyField, filled_texts

# The workflow's refusal of a save, kept for the second pass that shows it (see changeform_view).
_refusals: weakref.WeakKeyDictionary[HttpRequest, str] = weakref.WeakKeyDictionary()

TicketDisplay = Callable[[Ticket], SafeString | str]

# Read-only lines of the ticket page's « Traitement » that other apps add, in the order added
# (notifications/admin.py: who a public note would mail).
extra_displays: list[TicketDisplay] = []


def ticket_display(display: TicketDisplay) -> TicketDisplay:
    """Show `display(ticket)` as a read-only line of the ticket page's « Traitement », after the
    time spent. A decorator, over admin.display (its description is the line's label); the
    function's name is the line's CSS class (`field-<name>`)."""
    if display not in extra_displays:
        extra_displays.append(display)
    return display


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

    # Not saved: its « Insérer » button fills `text` with the reply, filled for this ticket.
    canned_reply = CannedReplyField(
        help_text=_("Insérée dans la note, remplie pour ce ticket, à relire avant d'enregistrer.")
    )
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

    def has_changed(self) -> bool:
        # A reply chosen but not inserted is no note to write (nor to refuse as empty).
        return any(name != "canned_reply" for name in self.changed_data)


class NewNoteInline(admin.StackedInline[Note, Ticket]):
    """« Ajouter une note »: one empty form, saved by TicketAdmin.save_formset via note_add."""

    model = Note
    form = NewNoteForm
    extra = 1
    max_num = 1
    can_delete = False
    fields = [
        "canned_reply",
        "text",
        ("is_private", "minutes_spent", "is_billable"),
        "attachments",
    ]
    verbose_name = _("ajouter une note")
    verbose_name_plural = _("ajouter une note")
    classes = ["new-note"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Note]:
        return super().get_queryset(request).none()  # existing notes are shown below, read-only

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)  # nothing to show on a Fermé ticket

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request) and obj is not None and not obj.is_closed

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketChangeForm(admin.ModelAdmin[Ticket]):
    """The ticket admin's change page."""

    form = TicketAdminForm
    inlines = [NewNoteInline]
    readonly_fields = [
        "display_number",
        "organisation",
        "reporter",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
        "time_spent_total",
        "report_files",
        "links_shown",
    ]
    change_form_template = "admin/tickets/ticket/change_form.html"
    view_on_site = False  # the portal's ticket page is for clients: staff are sent back here

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Django's admin takes callables as read-only fields (lookup_field calls them).
        return [*super().get_readonly_fields(request, obj), *extra_displays]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = obj is not None and self.has_change_permission(request, obj)
        treatment: list[Any] = [
            ("state", "handler"),
            ("resolution", "is_private"),
            "links_shown",
            "time_spent_total",
            *extra_displays,
        ]
        if editable:
            treatment.append("seen_version")
        return [
            (_("Traitement"), {"fields": treatment}),
            (
                _("Rapport"),
                {
                    "fields": [
                        ("display_number", "organisation", "reporter"),
                        "category",
                        ("reproducibility", "impact", "priority"),
                        "summary",
                        "description",
                        "steps_to_reproduce",
                        "additional_information",
                        "report_files",
                    ]
                },
            ),
            (
                _("Dates"),
                {"fields": [("created_at", "updated_at"), ("resolved_at", "closed_at")]},
            ),
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = _refusals.get(request)
        if refusal:
            return type(form.__name__, (form,), {"refusal": refusal})
        return form

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        ticket = super().get_object(request, object_id, from_field)
        if ticket is not None:
            total = Note.objects.filter(ticket=ticket).aggregate(
                total=Sum("minutes_spent"),
                billable=Sum("minutes_spent", filter=Q(is_billable=True)),
            )
            ticket.minutes_total = total["total"] or 0  # type: ignore[attr-defined]
            ticket.minutes_billable = total["billable"] or 0  # type: ignore[attr-defined]
        return ticket

    @admin.display(description=_("temps passé (toutes notes)"))
    def time_spent_total(self, obj: Ticket) -> str:
        """« 1 h 15 : 45 min facturables, 30 min non facturables » (private notes included:
        it is ATM's time)."""
        total = getattr(obj, "minutes_total", 0)
        if not total:
            return format_minutes(0, time_spent=True)
        billable = getattr(obj, "minutes_billable", 0)

        def shown(minutes: int) -> str:
            return format_minutes(minutes, time_spent=True) if minutes else "0 min"

        return gettext("%(total)s : %(billable)s facturables, %(other)s non facturables") % {
            "total": shown(total),
            "billable": shown(billable),
            "other": shown(total - billable),
        }

    @admin.display(description=_("tickets liés"))
    def links_shown(self, obj: Ticket) -> SafeString | str:
        """Read-only: the ticket's links both ways (« Doublon de 0000123 »), each to the other
        ticket's page here; staff see every ticket, private or of another organisation."""
        lines = ticket_links(obj, Ticket.objects.all())
        if not lines:
            return "—"
        return format_html(
            '<ul class="ticket-links">{}</ul>',
            format_html_join(
                "",
                '<li>{} <a href="{}">{}</a> — {}{}</li>',
                (
                    (
                        line.label,
                        reverse("admin:tickets_ticket_change", args=[line.other.pk]),
                        line.other.display_number,
                        line.other.summary,
                        f" ({gettext('privé')})" if line.other.is_private else "",
                    )
                    for line in lines
                ),
            ),
        )

    @admin.display(description=_("fichiers du rapport"))
    def report_files(self, obj: Ticket) -> SafeString | str:
        files = Attachment.objects.filter(ticket=obj, note__isnull=True).order_by("created_at")
        return attachment_links(files) or "—"

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except WorkflowError as refusal:
            # Django's transaction around the save rolled everything back (fields, notes,
            # files' rows). The page is shown again with the input and the workflow's reason.
            _refusals[request] = str(refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    @accepts_uploads  # the « Ajouter une note » inline takes files
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        ticket = self.get_object(request, unquote(object_id))
        if ticket is not None and self.has_view_permission(request, ticket):
            me = staff_member(request)
            visible_notes = (
                Note.objects.filter(ticket=ticket)
                .select_related("author")
                .prefetch_related(
                    Prefetch("attachments", queryset=Attachment.objects.order_by("created_at"))
                )
                .order_by("-created_at", "-pk")
            )
            editable = self.has_change_permission(request, ticket)
            extra_context = {
                **(extra_context or {}),
                "ticket": ticket,
                "ticket_notes": visible_notes,
                "latest_client_note": latest_client_note(ticket),
                # The picker's texts (tickets/admin/canned.py), filled for this ticket and me.
                "canned_texts": filled_texts(ticket=ticket, author=me) if editable else {},
                "ticket_history": admin_history(ticket, me),
                "can_acknowledge": editable and ticket.state == State.NEW,
                "can_take": editable and ticket.handler_id != me.pk,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        """The fields, then the handler and the state, each by its function, in the request's
        transaction: the first call checks the page's version and keeps the row locked."""
        if not change or not form.ticket_changes:
            return
        me = staff_member(request)
        cleaned = form.cleaned_data
        changed = set(form.ticket_changes)
        ticket_update_details(
            ticket=obj.pk,
            by=me,
            changes={name: cleaned[name] for name in DETAIL_FIELDS if name in changed},
            expected_version=cleaned["seen_version"],
        )
        handler: User | None = cleaned["handler"]
        state: str = cleaned["state"]
        if "handler" in changed and handler is None:
            # An « Affecté » ticket keeps a handler: leave that state before clearing it.
            if "state" in changed:
                ticket_change_state(ticket=obj.pk, to=state, by=me)
            ticket_assign(ticket=obj.pk, handler=None, by=me)
            return
        if "handler" in changed:
            ticket_assign(ticket=obj.pk, handler=handler, by=me)
        if "state" in changed:
            current = Ticket.objects.values_list("state", flat=True).get(pk=obj.pk)
            if current != state:  # choosing a handler may already have made it Affecté
                ticket_change_state(ticket=obj.pk, to=state, by=me)

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not Note:
            super().save_formset(request, form, formset, change)
            return
        me = staff_member(request)
        added: list[Note] = []
        for note_form in formset.forms:
            if not note_form.has_changed() or not note_form.cleaned_data:
                continue
            data = note_form.cleaned_data
            note = note_add(
                ticket=form.instance.pk,
                author=me,
                text=data["text"],
                is_private=data["is_private"],
                minutes_spent=data["minutes_spent"] or 0,
                is_billable=data["is_billable"],
            )
            attachments_store(ticket=form.instance, note=note, files=data["attachments"], by=me)
            added.append(note)
        # What Django's change message reads from a saved formset.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = added, [], []

    def response_change(self, request: HttpRequest, obj: Ticket) -> HttpResponse:
        obj.refresh_from_db()  # the message names the ticket as the workflow left it
        return super().response_change(request, obj)


def latest_client_note(ticket: Ticket) -> Note | None:
    """The client's last word on the ticket: their latest note (clients write no private
    note), or None when they wrote only the report."""
    return (
        Note.objects.filter(ticket=ticket, author__is_staff=False)
        .select_related("author")
        .order_by("-created_at", "-pk")
        .first()
    )


def attachment_links(files: Iterable[Attachment]) -> SafeString:
    """Links to the files (the portal's checked download views), a thumbnail for images."""
    items = []
    for attachment in files:
        url = reverse("tickets:attachment", args=[attachment.pk])
        if attachment.is_image:
            thumbnail = reverse("tickets:attachment_thumbnail", args=[attachment.pk])
            items.append(
                format_html(
                    '<li><a href="{}"><img src="{}" alt="" class="attachment-thumb"> {}</a></li>',
                    url,
                    thumbnail,
                    attachment.original_name,
                )
            )
        else:
            items.append(format_html('<li><a href="{}">{}</a></li>', url, attachment.original_name))
    if not items:
        return SafeString("")
    return format_html(
        '<ul class="attachment-list">{}</ul>', format_html_join("", "{}", ((i,) for i in items))
    )


def admin_history(ticket: Ticket, viewer: User) -> list[Any]:
    """The portal's history lines, with the report's fields named as the form names them."""
    labels = {
        name: str(getattr(Ticket._meta.get_field(name), "verbose_name", name))
        for name in DETAIL_FIELDS
    }
    return [
        replace(line, what=labels[line.what].capitalize()) if line.what in labels else line
        for line in history_lines(ticket, viewer)
    ]
