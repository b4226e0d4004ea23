"""The ATM team's ticket desk: every button goes through tickets.workflow (or editing.py).

The list stays a bounded number of queries whatever the page size: the page's tickets come with
their organisation, category, handler and reporter (one query), and the time spent is summed for
the page's ids only (one more query, see TicketChangeList). It stays usable with 200,000 tickets:
no full count (show_full_result_count), no facet counts, the default filter (open tickets,
newest change first) follows the (state, -updated_at) index, and the paginator's count runs on
the ticket table alone (no annotation, no join, unless a search on the organisation asks one).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.forms import BaseInlineFormSet, Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.access import is_staff
from accounts.models import User
from atm_support.middleware import accepts_uploads
from atm_support.minutes import format_minutes

from .admin_forms import NewNoteForm, QuestionForm, ResolveForm, TicketAdminForm
from .attachments import attachments_store
from .editing import DETAIL_FIELDS, ticket_update_details
from .models import OPEN_STATES, Attachment, Category, Note, State, Ticket
from .views.detail import history_lines
from .workflow import WorkflowError, note_add, ticket_assign, ticket_change_state

# The admin index shows who is waiting on whom (templates/admin/tickets/index.html).
admin.site.index_template = "admin/tickets/index.html"

# Shown in an action's message, then "… and N more": a message is read, not scrolled.
MAX_LISTED = 20

# The workflow's refusal of a save, kept for the second pass that shows it (see changeform_view).
_refusals: weakref.WeakKeyDictionary[HttpRequest, str] = weakref.WeakKeyDictionary()


def staff(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    actions = ["retire", "restore"]

    @admin.action(description=_("Retirer du formulaire les catégories sélectionnées"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        count = queryset.update(is_active=False)
        messages.success(
            request,
            ngettext(
                "%(count)s catégorie retirée : les tickets qui l'ont la gardent.",
                "%(count)s catégories retirées : les tickets qui les ont les gardent.",
                count,
            )
            % {"count": count},
        )

    @admin.action(description=_("Proposer à nouveau les catégories sélectionnées"))
    def restore(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        count = queryset.update(is_active=True)
        messages.success(
            request,
            ngettext(
                "%(count)s catégorie proposée à nouveau.",
                "%(count)s catégories proposées à nouveau.",
                count,
            )
            % {"count": count},
        )


# --- The list --------------------------------------------------------------------------------


class StateFilter(admin.SimpleListFilter):
    """Open tickets by default (Fermé hidden, as in the portal); « Tous » shows them too."""

    title = _("état")
    parameter_name = "state"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*State.choices, (self.ALL, _("Tous, fermés compris"))]

    def choices(self, changelist: Any) -> Iterator[Any]:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": gettext("Ouverts (tous sauf Fermé)"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        value = self.value()
        if value is None:
            # An IN list, not `<> closed`: PostgreSQL then reads the (state, -updated_at) index.
            return queryset.filter(state__in=OPEN_STATES)
        if value in State.values:
            return queryset.filter(state=value)
        return queryset


class HandlerFilter(admin.SimpleListFilter):
    title = _("affecté à")
    parameter_name = "handler"
    MINE = "me"
    NOBODY = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        technicians = User.objects.filter(is_staff=True, is_active=True).order_by(
            "first_name", "last_name", "email"
        )
        return [
            (self.MINE, _("Moi")),
            (self.NOBODY, _("Personne (non affectés)")),
            *[(str(user.pk), str(user)) for user in technicians],
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        value = self.value()
        if value == self.MINE:
            return queryset.filter(handler_id=request.user.pk)
        if value == self.NOBODY:
            return queryset.filter(handler__isnull=True)
        if value and value.isdigit():
            return queryset.filter(handler_id=int(value))
        return queryset


class TicketChangeList(ChangeList):
    """Adds each ticket's time spent, summed over the page's tickets only.

    Annotating the changelist's queryset with Sum("notes__minutes_spent") would GROUP BY every
    ticket matching the filters, and the paginator's COUNT would then wrap that grouped join:
    seconds with 200,000 tickets. Here the page is read first, then one query sums its notes
    (the (ticket, created_at) index finds them).
    """

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        tickets = list(self.result_list)
        totals = dict(
            Note.objects.filter(ticket_id__in=[ticket.pk for ticket in tickets])
            .values_list("ticket_id")
            .annotate(total=Sum("minutes_spent"))
            .order_by()
        )
        for ticket in tickets:
            ticket.minutes_total = totals.get(ticket.pk, 0)
        self.result_list = tickets


# --- The ticket page's inlines -----------------------------------------------------------------


class NewNoteInline(admin.StackedInline[Note, Ticket]):
    """« Ajouter une note »: one empty form, saved by TicketAdmin.save_formset via note_add."""

    model = Note
    form = NewNoteForm
    extra = 1
    max_num = 1
    can_delete = False
    fields = ["text", ("is_private", "minutes_spent", "is_billable"), "attachments"]
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


# --- The ticket admin --------------------------------------------------------------------------


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    """Tickets for every active staff member (no per-model permission to grant first)."""

    form = TicketAdminForm
    list_display = [
        "display_number",
        "organisation",
        "summary",
        "state_badge",
        "priority",
        "impact",
        "category",
        "handler",
        "reporter",
        "last_update",
        "time_spent",
        "is_private",
    ]
    list_display_links = ["display_number", "summary"]
    list_filter = [
        StateFilter,
        HandlerFilter,
        "organisation",
        "category",
        "priority",
        "impact",
        "resolution",
        "is_private",
    ]
    list_select_related = ["organisation", "category", "handler", "reporter"]
    # `number__exact` skips a term that is not a number ("abc"), and reads « 0000123 » as 123.
    search_fields = ["number__exact", "summary", "organisation__name"]
    search_help_text = _("Numéro (0000123 ou 123), mots du résumé ou nom de l'organisation.")
    ordering = ["-updated_at"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = ShowFacets.NEVER  # a count per filter choice: too slow on a large table
    actions = ["take", "acknowledge", "ask_client", "resolve"]
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
        "followers_shown",
        "report_files",
        "links_shown",
    ]
    change_form_template = "admin/tickets/ticket/change_form.html"
    view_on_site = False  # the portal's ticket page is for clients: staff are sent back here

    # --- permissions: every active staff member works tickets; Fermé is read-only -----------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request) and not (obj is not None and obj.is_closed)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clients report tickets from the portal

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history is append-only, and so is the ticket

    # --- the list -----------------------------------------------------------------------------

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TicketChangeList

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Eleven columns and the filters need the whole width: no navigation sidebar here.
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        # « #123 » is how people write a ticket number.
        term = " ".join(bit.lstrip("#") for bit in search_term.split())
        return super().get_search_results(request, queryset, term)

    @admin.display(description=_("n°"), ordering="number")
    def display_number(self, obj: Ticket) -> str:
        return obj.display_number

    @admin.display(description=_("état"), ordering="state")
    def state_badge(self, obj: Ticket) -> SafeString:
        return format_html(
            '<span class="state state-{}">{}</span>', obj.state, obj.get_state_display()
        )

    @admin.display(description=_("mis à jour"), ordering="updated_at")
    def last_update(self, obj: Ticket) -> str:
        return date_format(timezone.localtime(obj.updated_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("temps passé"))
    def time_spent(self, obj: Ticket) -> str:
        return format_minutes(getattr(obj, "minutes_total", 0), time_spent=True)

    # --- actions: each ticket through the workflow, refusals listed with their reason -------

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
        me = staff(request)

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

    @admin.action(description=_("Passer les tickets sélectionnés « En analyse »"))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        me = staff(request)
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
        """The note, then the state change, in one transaction per ticket: a refused move takes
        its note back. Both by the same technician, the notifications make one mail of them."""
        me = staff(request)
        target = State.FEEDBACK if to == "ask" else State.RESOLVED

        def change(ticket: Ticket) -> None:
            note_add(
                ticket=ticket.pk,
                author=me,
                text=text,
                minutes_spent=form.cleaned_data["minutes_spent"] or 0,
                is_billable=form.cleaned_data["is_billable"],
            )
            ticket_change_state(ticket=ticket.pk, to=target, by=me)

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
        shown = list(queryset.select_related("organisation").order_by("number")[:MAX_LISTED])
        total = len(shown) if len(shown) < MAX_LISTED else queryset.count()
        context = {
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
        return TemplateResponse(request, "admin/tickets/ticket/action_note.html", context)

    # --- the ticket page ----------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = obj is not None and self.has_change_permission(request, obj)
        treatment: list[Any] = [
            ("state", "handler"),
            ("resolution", "is_private"),
            "links_shown",
            "time_spent_total",
            "followers_shown",
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
            total = Note.objects.filter(ticket=ticket).aggregate(total=Sum("minutes_spent"))
            ticket.minutes_total = total["total"] or 0  # type: ignore[attr-defined]
        return ticket

    @admin.display(description=_("temps passé (toutes notes)"))
    def time_spent_total(self, obj: Ticket) -> str:
        return format_minutes(getattr(obj, "minutes_total", 0), time_spent=True)

    @admin.display(description=_("destinataires des e-mails"))
    def followers_shown(self, obj: Ticket) -> str:
        """Read-only: who a public note would mail (the clients choose on their ticket page),
        and who chose « Ne plus suivre ce ticket »."""
        from notifications.selectors import TicketFacts, recipients_for

        from .models import Follower

        facts = TicketFacts(
            obj.pk, obj.organisation_id, obj.reporter_id, obj.handler_id, obj.is_private
        )
        chosen = {r.user_id: r.reason for r in recipients_for(ticket=facts, actor_id=None)}
        users = User.objects.in_bulk(chosen)
        lines = [f"{users[pk]} ({reason.label})" for pk, reason in chosen.items() if pk in users]
        muted = Follower.objects.filter(ticket=obj, muted=True).select_related("user")
        if muted:
            lines.append(
                gettext("ne suit plus : %(names)s")
                % {"names": ", ".join(str(row.user) for row in muted)}
            )
        return " ; ".join(lines) or "—"

    @admin.display(description=_("tickets liés"))
    def links_shown(self, obj: Ticket) -> SafeString | str:
        """Read-only: the ticket's links both ways (« Doublon de 0000123 »), each to the other
        ticket's page here; staff see every ticket, private or of another organisation."""
        from .selectors import ticket_links

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
            me = staff(request)
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
        me = staff(request)
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
        me = staff(request)
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
                ticket=ticket.pk, to=State.ACKNOWLEDGED, by=staff(request), expected_version=version
            )
            return gettext("Ticket %(number)s : réception accusée, il passe « En analyse ».") % {
                "number": ticket.display_number
            }

        return self._one_click(request, object_id, change)

    def take_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def change(ticket: Ticket, version: int | None) -> str:
            me = staff(request)
            ticket_assign(ticket=ticket.pk, handler=me, by=me, expected_version=version)
            return gettext("Ticket %(number)s : il vous est affecté.") % {
                "number": ticket.display_number
            }

        return self._one_click(request, object_id, change)


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
