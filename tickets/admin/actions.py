"""What staff do to tickets without editing them: the list's bulk actions and the ticket page's
one-click buttons (« Accuser réception », « M'affecter »), each ticket through tickets.workflow.

An action moves each ticket in its own transaction and lists the refused ones with the
workflow's reason. The two that write a note first (a question to the client, a resolution)
ask it on an intermediate page, with the forms below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet, TextChoices
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.access import staff_member
from accounts.models import User

from ..canned import PLACEHOLDERS, fill_placeholders
from ..limits import NOTE_MAX, LongTextField, french_count, limit_help
from ..models import State, Ticket
from ..workflow import WorkflowError, note_add, ticket_assign, ticket_change_state
from .canned import CannedReplyField, raw_texts

# Shown in an action's message, then "… and N more": a message is read, not scrolled.
MAX_LISTED = 20


class Resolution(TextChoices):
    """Mantis' resolutions, written at the head of the resolving note."""

    FIXED = "fixed", _("corrigé")
    UNABLE_TO_REPRODUCE = "unable", _("impossible à reproduire")
    NOT_FIXABLE = "not_fixable", _("non corrigeable")
    DUPLICATE = "duplicate", _("doublon")
    NO_CHANGE = "no_change", _("pas de modification nécessaire")
    SUSPENDED = "suspended", _("suspendu")
    WONT_FIX = "wont_fix", _("ne sera pas corrigé")


def _per_ticket_help() -> str:
    per_ticket = ", ".join(f"{{{p.name}}}" for p in PLACEHOLDERS if p.name != "technicien")
    return gettext(
        "Insérée dans la note ci-dessous, à compléter. Les champs de la note sont remplis pour "
        "chaque ticket : %(fields)s ; {technicien} est votre prénom."
    ) % {"fields": per_ticket}


class ActionNoteForm(forms.Form):
    """The note a bulk action writes on each ticket it moves (the question, the answer); its
    placeholders ({prénom}, {numéro}…: tickets/canned.py) are filled for each ticket."""

    # Chosen without « Insérer » (no script), the reply is the note.
    canned_reply = CannedReplyField(help_text=lazy(_per_ticket_help, str)())
    text = LongTextField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        required=False,  # clean_text: empty, the chosen reply is the note
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
        reply = self.cleaned_data.get("canned_reply")
        if not text and reply is not None:
            text = reply.text.strip()
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
    field_order = ["resolution", "canned_reply", "text", "minutes_spent", "is_billable"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Réponse au client")
        self.fields["text"].help_text = _(
            "Une note publique, envoyée au client avec la résolution."
        )

    def note_text(self) -> str:
        label = Resolution(self.cleaned_data["resolution"]).label
        return f"{_('Résolution')} : {label}.\n\n{self.cleaned_data['text']}"


class AssignForm(forms.Form):
    """« Affecter à… »: any active technician."""

    handler = forms.ModelChoiceField(
        label=_("Technicien"),
        queryset=User.objects.none(),
        empty_label=_("— choisissez —"),
        error_messages={
            "required": _("Choisissez le technicien à qui affecter les tickets."),
            "invalid_choice": _("Ce technicien n'existe pas ou n'est plus actif."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["handler"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(is_staff=True, is_active=True).order_by(
            "first_name", "last_name", "email"
        )


class TicketActions(admin.ModelAdmin[Ticket]):
    """The ticket admin's bulk actions and one-click buttons."""

    actions = ["take", "assign_to", "acknowledge", "ask_client", "resolve"]

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Ticket],
        change: Callable[[Ticket], object],
        done: Callable[[int], str],
    ) -> None:
        """Apply `change` to each ticket in its own transaction; report moved and refused ones."""
        moved: list[str] = []
        refused: list[tuple[str, str]] = []
        tickets = queryset.select_related(None).order_by("number")
        for ticket in tickets.only("pk", "number", "handler_id", "state"):
            try:
                with transaction.atomic():
                    change(ticket)
            except WorkflowError as error:
                refused.append((ticket.display_number, str(error)))
            else:
                moved.append(ticket.display_number)
        if moved:
            messages.success(request, f"{done(len(moved))} {', '.join(moved)}.")
        if refused:
            lines = format_html_join(
                "", "<li>{} : {}</li>", ((number, why) for number, why in refused[:MAX_LISTED])
            )
            more = (
                format_html(
                    "<li>{}</li>",
                    gettext("… et %(count)s autres.") % {"count": len(refused) - MAX_LISTED},
                )
                if len(refused) > MAX_LISTED
                else ""
            )
            messages.error(
                request,
                format_html(
                    "{}<ul>{}{}</ul>",
                    ngettext(
                        "%(count)s ticket n'a pas pu être modifié :",
                        "%(count)s tickets n'ont pas pu être modifiés :",
                        len(refused),
                    )
                    % {"count": len(refused)},
                    lines,
                    more,
                ),
            )

    @admin.action(description=_("M'affecter les tickets sélectionnés"))
    def take(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        me = staff_member(request)

        def change(ticket: Ticket) -> None:
            if ticket.handler_id == me.pk:
                raise WorkflowError(gettext("Il vous est déjà affecté."))
            ticket_assign(ticket=ticket.pk, handler=me, by=me)

        self._each(
            request,
            queryset,
            change,
            lambda n: (
                ngettext(
                    "%(count)s ticket vous est affecté :",
                    "%(count)s tickets vous sont affectés :",
                    n,
                )
                % {"count": n}
            ),
        )

    @admin.action(description=_("Affecter à…"))
    def assign_to(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> HttpResponse | None:
        """Each ticket to the chosen technician, through workflow.ticket_assign."""
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = self._action_context(
                request,
                queryset.select_related("handler"),  # the page says who has each one now
                form,
                "assign_to",
                gettext("Affecter les tickets"),
            )
            return TemplateResponse(request, "admin/tickets/ticket/action_assign.html", context)
        me = staff_member(request)
        handler = form.cleaned_data["handler"]

        def change(ticket: Ticket) -> None:
            if ticket.handler_id == handler.pk:
                raise WorkflowError(
                    gettext("Il est déjà affecté à %(name)s.") % {"name": str(handler)}
                )
            ticket_assign(ticket=ticket.pk, handler=handler, by=me)

        self._each(
            request,
            queryset,
            change,
            lambda n: (
                ngettext(
                    "%(count)s ticket affecté à %(name)s :",
                    "%(count)s tickets affectés à %(name)s :",
                    n,
                )
                % {"count": n, "name": str(handler)}
            ),
        )
        return None

    @admin.action(description=_("Passer les tickets sélectionnés « En analyse »"))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        me = staff_member(request)
        self._each(
            request,
            queryset,
            lambda ticket: ticket_change_state(ticket=ticket.pk, to=State.ACKNOWLEDGED, by=me),
            lambda n: (
                ngettext(
                    "%(count)s ticket passé « En analyse » :",
                    "%(count)s tickets passés « En analyse » :",
                    n,
                )
                % {"count": n}
            ),
        )

    @admin.action(description=_("Demander au client (→ Commentaire), avec une question…"))
    def ask_client(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> HttpResponse | None:
        form = QuestionForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request, queryset, form, "ask_client", gettext("Demander au client")
            )
        self._note_then_move(request, queryset, form, form.cleaned_data["text"], to="ask")
        return None

    @admin.action(description=_("Résoudre (→ Résolu), avec une résolution et une note…"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> HttpResponse | None:
        form = ResolveForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request, queryset, form, "resolve", gettext("Résoudre les tickets")
            )
        self._note_then_move(request, queryset, form, form.note_text(), to="resolve")
        return None

    def _note_then_move(
        self, request: HttpRequest, queryset: QuerySet[Ticket], form: Form, text: str, *, to: str
    ) -> None:
        """The note, then the state change, in one change per ticket (workflow.note_add's
        `move_to`): a refused move takes its note back, and the two are one event, one mail."""
        me = staff_member(request)
        target = State.FEEDBACK if to == "ask" else State.RESOLVED

        def change(ticket: Ticket) -> None:
            filled = fill_placeholders(text, ticket=ticket, author=me)
            if len(filled) > NOTE_MAX:
                raise WorkflowError(
                    gettext("La note, ses champs remplis, dépasse %(limit)s caractères.")
                    % {"limit": french_count(NOTE_MAX)}
                )
            note_add(
                ticket=ticket.pk,
                author=me,
                text=filled,
                minutes_spent=form.cleaned_data["minutes_spent"] or 0,
                is_billable=form.cleaned_data["is_billable"],
                move_to=target,
            )

        def done(n: int) -> str:
            if target == State.FEEDBACK:
                return ngettext(
                    "Question posée, %(count)s ticket passé « Commentaire » :",
                    "Question posée, %(count)s tickets passés « Commentaire » :",
                    n,
                ) % {"count": n}
            return ngettext("%(count)s ticket résolu :", "%(count)s tickets résolus :", n) % {
                "count": n
            }

        self._each(request, queryset, change, done)

    def _action_page(
        self,
        request: HttpRequest,
        queryset: QuerySet[Ticket],
        form: Form,
        action: str,
        title: str,
    ) -> TemplateResponse:
        """The intermediate page of an action that needs a note, like Django's delete one."""
        context = self._action_context(request, queryset, form, action, title)
        # The canned replies' texts as written: the note is filled for each ticket.
        context["canned_texts"] = raw_texts()
        return TemplateResponse(request, "admin/tickets/ticket/action_note.html", context)

    def _action_context(
        self,
        request: HttpRequest,
        queryset: QuerySet[Ticket],
        form: Form,
        action: str,
        title: str,
    ) -> dict[str, Any]:
        """What an action's intermediate page shows (action_base.html): the selected tickets,
        MAX_LISTED of them at most, the form, and the selection to post again."""
        shown = list(queryset.select_related("organisation").order_by("number")[:MAX_LISTED])
        total = len(shown) if len(shown) < MAX_LISTED else queryset.count()
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "action": action,
            "tickets": shown,
            "total": total,
            "more": total - len(shown),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }

    # --- one-click buttons on the ticket page ------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<path:object_id>/accuser-reception/",
                self.admin_site.admin_view(self.acknowledge_view),
                name="tickets_ticket_acknowledge",
            ),
            path(
                "<path:object_id>/m-affecter/",
                self.admin_site.admin_view(self.take_view),
                name="tickets_ticket_take",
            ),
        ]
        return custom + super().get_urls()

    def _one_click(
        self, request: HttpRequest, object_id: str, change: Callable[[Ticket, int | None], str]
    ) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None:
            raise Http404
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied
        raw_version = request.POST.get("version", "")
        version = int(raw_version) if raw_version.isdigit() else None
        try:
            done = change(ticket, version)
        except WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))

    def acknowledge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def change(ticket: Ticket, version: int | None) -> str:
            ticket_change_state(
                ticket=ticket.pk,
                to=State.ACKNOWLEDGED,
                by=staff_member(request),
                expected_version=version,
            )
            return gettext("Ticket %(number)s : réception accusée, il passe « En analyse ».") % {
                "number": ticket.display_number
            }

        return self._one_click(request, object_id, change)

    def take_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def change(ticket: Ticket, version: int | None) -> str:
            me = staff_member(request)
            ticket_assign(ticket=ticket.pk, handler=me, by=me, expected_version=version)
            return gettext("Ticket %(number)s : il vous est affecté.") % {
                "number": ticket.display_number
            }

        return self._one_click(request, object_id, change)
