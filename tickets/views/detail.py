"""The ticket page: every field, the state in its colour, public notes, files and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Field, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.access import client_required
from accounts.models import User
from atm_support import pagecache
from atm_support.middleware import accepts_uploads

from .. import hours, selectors
from ..attachments import attachments_store
from ..display import stored_choice_label, value_label
from ..following import client_panel
from ..forms import NoteForm
from ..models import HistoryEntry, State, Ticket
from ..satisfaction import Rating
from ..workflow import WorkflowError, note_add


@dataclass(frozen=True)
class HistoryLine:
    when: datetime
    who: str
    what: str
    old: str
    new: str


def _state_label(value: str) -> str:
    try:
        return value_label(State(value).label)
    except ValueError:
        return value


def _value_shown(name: str, stored: str) -> str:
    """A changed field's old or new value as the ticket's fields show it: a choice's label in the
    reader's language with its capital (« Normale »), a category's name with its capital; typed
    text (summary, description) exactly as typed."""
    try:
        field = Ticket._meta.get_field(name)
    except FieldDoesNotExist:
        return stored
    if isinstance(field, Field) and field.choices:
        return stored_choice_label(field, stored)
    if name == "category":
        return value_label(stored)
    return stored


def _field_label(name: str) -> str:
    """A ticket field's French label (« priorité »), capitalised like the other history lines."""
    try:
        field = Ticket._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    label = str(getattr(field, "verbose_name", name))
    return label[:1].upper() + label[1:]


# History kept by the MantisBT import for staff only (mantis.importer), as staff read it.
IMPORTED_STAFF_FIELDS = {
    "private_note_edited": gettext_lazy("Note modifiée (MantisBT)"),
    "private_note_deleted": gettext_lazy("Note supprimée (MantisBT)"),
    "private_note_state": gettext_lazy("Visibilité d'une note (MantisBT)"),
    "private_relationship_added": gettext_lazy("Relation ajoutée (MantisBT)"),
    "private_relationship_deleted": gettext_lazy("Relation supprimée (MantisBT)"),
    "private_relationship_replaced": gettext_lazy("Relation remplacée (MantisBT)"),
    "private_cloned_to": gettext_lazy("Cloné vers (MantisBT)"),
    "private_created_from": gettext_lazy("Créé à partir de (MantisBT)"),
    "private_project_moved": gettext_lazy("Projet MantisBT changé"),
}


def history_lines(ticket: Ticket, viewer: User) -> list[HistoryLine]:
    entries = HistoryEntry.objects.filter(ticket=ticket).select_related("actor")
    if not viewer.is_staff:
        # A private note, the ticket's privacy (a ticket made public again), and what the
        # MantisBT import kept for staff (« private_… »: a note's privacy, links, moves between
        # projects, which name other tickets or organisations): staff's alone.
        entries = entries.exclude(Q(field__startswith="private") | Q(field="is_private"))
    lines = []
    for entry in entries:
        who = str(entry.actor) if entry.actor else _("ATM Support (automatique)")
        old, new = entry.old_value, entry.new_value
        if entry.field == "state":
            what, old, new = _("État"), _state_label(old), _state_label(new)
        elif entry.field == "handler":
            what = _("Affecté à")
        elif entry.field == "created":
            what, old, new = _("Ticket créé"), "", ""
        elif entry.field == "note":
            what, old, new = _("Note ajoutée"), "", ""
        elif entry.field == "private_note":
            what, old, new = _("Note privée ajoutée"), "", ""
        elif entry.field in IMPORTED_STAFF_FIELDS:
            what = str(IMPORTED_STAFF_FIELDS[entry.field])
        else:
            what = _field_label(entry.field)
            old, new = _value_shown(entry.field, old), _value_shown(entry.field, new)
        lines.append(HistoryLine(entry.created_at, who, what, old, new))
    return lines


def _ticket_for(request: HttpRequest, number: int) -> Ticket:
    """The viewer's ticket of that number, or 404."""
    visible = selectors.tickets_visible_to(request.user)  # type: ignore[arg-type]
    ticket = (
        selectors.with_link_flags(visible)
        .select_related("category", "handler", "reporter", "organisation")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


_BLANK_NOTE_FORMS: dict[str, str] = {}


def note_form_html(form: NoteForm) -> str:
    """The note form's fields as crispy renders them (~2.5 ms); a blank one, the same for every
    viewer and ticket, is rendered once per language and process (not the CSRF token, which the
    page template adds)."""
    if form.is_bound or settings.DEBUG:
        return render_to_string("tickets/_note_form.html", {"form": form})
    language = get_language() or ""
    html = _BLANK_NOTE_FORMS.get(language)
    if html is None:
        html = _BLANK_NOTE_FORMS[language] = render_to_string(
            "tickets/_note_form.html", {"form": form}
        )
    return html


@accepts_uploads
@client_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = NoteForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        ticket = _ticket_for(request, number)
        reopen = request.POST.get("action") == "reopen"
        if ticket.is_closed:
            messages.error(request, _("Ce ticket est fermé : il n'accepte plus de note."))
            status = 409
        elif form.is_valid():
            try:
                with transaction.atomic():
                    note = note_add(
                        ticket=ticket, author=user, text=form.cleaned_data["text"], reopen=reopen
                    )
                    attachments_store(
                        ticket=ticket, note=note, files=form.cleaned_data["attachments"], by=user
                    )
            except WorkflowError as error:
                messages.error(request, str(error))
                status = 409
            else:
                messages.success(
                    request,
                    _("Le ticket est réouvert et votre note ajoutée.")
                    if reopen
                    else _("Votre note est ajoutée."),
                )
                return HttpResponseRedirect(ticket.get_absolute_url() + "#notes")
        else:
            status = 400
            if request.FILES:
                messages.warning(
                    request,
                    _("Les fichiers joints n'ont pas été conservés : sélectionnez-les à nouveau."),
                )

    # Kept for this viewer and organisation generation only once the ticket was found visible
    # (a 404 is never kept), and a ticket never changes organisation: a page found in the cache
    # needs no query of its own.

    def page(extra: dict[str, Any]) -> HttpResponse:
        # Read once for both: the follow panel needs it even when the parts are kept.
        ticket = _ticket_for(request, number)
        parts = pagecache.cached("ticket", user, [number], lambda: page_parts(request, ticket))
        context = {
            "tab": None,
            "parts": parts,
            # Its forms hold the CSRF token: rendered with the page, which page_response keeps.
            "following": client_panel(ticket=ticket, viewer=user),
            "form_html": note_form_html(form),
            "can_reopen": parts["state"] == State.RESOLVED,
            **rating_panel(parts["state"], number, user),
        }
        return render(request, "tickets/ticket_detail.html", {**context, **extra}, status=status)

    return pagecache.page_response(request, "ticket", [number], page)


def rating_panel(state: str, number: int, user: User) -> dict[str, Any]:
    """« Votre avis » (tickets/satisfaction.py): on a Résolu ticket only, the viewer's own."""
    if state != State.RESOLVED:
        return {}
    from .satisfaction import form_for  # the view module imports this one

    rating = Rating.objects.filter(ticket__number=number, user=user).first()
    return {"rating": rating, "rating_form": form_for(rating), "ticket_number": number}


def page_parts(request: HttpRequest, ticket: Ticket) -> dict[str, str]:
    """The ticket page but its form: head, details with notes and files, history; its title and
    state for the rest of the page."""
    user: User = request.user  # type: ignore[assignment]
    visible_files = selectors.attachments_visible_to(user).order_by("created_at", "pk")
    notes = selectors.notes_visible_to(user, ticket).prefetch_related(
        Prefetch("attachments", queryset=visible_files, to_attr="visible_attachments")
    )
    context = {
        "ticket": ticket,
        "notes": list(notes),
        "files": list(visible_files.filter(ticket=ticket, note__isnull=True)),
        "history": history_lines(ticket, user),
        "links": selectors.links_visible_to(user, ticket),
        "awaiting_answer": ticket.state == State.FEEDBACK,
        "time": hours.ticket_time(ticket),
    }
    parts = {
        part: render_to_string(f"tickets/_ticket_{part}.html", context, request=request)
        for part in ("head", "body", "history")
    }
    return {**parts, "title": f"{ticket.display_number} — {ticket.summary}", "state": ticket.state}
