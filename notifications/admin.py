from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from atm_support.admin_french import FrenchAdmin, Noun
from mail.outbox import requeue
from tickets.admin import ticket_display
from tickets.models import Follower, Ticket, format_number

from .models import Notification
from .selectors import TicketFacts, recipients_for

# The colour of each status: static/css/admin.css (.outbox-<status>; no inline style under the CSP).


@admin.register(Notification)
class NotificationAdmin(FrenchAdmin, admin.ModelAdmin[Notification]):
    """The outbox, read-only: staff find what failed and send it again."""

    french = Noun("la", "notification", "notifications", feminine=True)

    list_display = [
        "created_at",
        "ticket_link",
        "kind",
        "addressee",
        "reason",
        "status_badge",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "event__kind", "reason"]
    list_select_related = ["event__ticket", "recipient"]
    search_fields = ["=event__ticket__number", "recipient__email", "address", "last_error"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend"]
    fields = readonly_fields = (
        "event",
        "recipient",
        "address",
        "reason",
        "status",
        "attempts",
        "created_at",
        "due_at",
        "sent_at",
        "sent_to",
        "last_error",
    )

    @admin.display(description=_("ticket"), ordering="event__ticket__number")
    def ticket_link(self, obj: Notification) -> str:
        ticket = obj.event.ticket
        url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
        return format_html('<a href="{}">{}</a>', url, format_number(ticket.number))

    @admin.display(description=_("destinataire"), ordering="recipient__email")
    def addressee(self, obj: Notification) -> str:
        # The team's address (SUPPORT_TEAM_EMAIL) is no user: its row names the address.
        return str(obj.recipient) if obj.recipient else obj.address

    @admin.display(description=_("type"), ordering="event__kind")
    def kind(self, obj: Notification) -> str:
        return obj.event.get_kind_display()

    @admin.display(description=_("statut"), ordering="status")
    def status_badge(self, obj: Notification) -> str:
        return format_html(
            '<strong class="outbox-status outbox-{}">{}</strong>',
            obj.status,
            obj.get_status_display(),
        )

    @admin.display(description=_("dernière erreur"))
    def short_error(self, obj: Notification) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Renvoyer les notifications en échec ou annulées"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = requeue(queryset)
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)d notification remise en file d'envoi.",
                "%(count)d notifications remises en file d'envoi.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                gettext(
                    "Les notifications déjà envoyées, en attente ou dont le destinataire n'a "
                    "plus accès au ticket n'ont pas été renvoyées."
                ),
                messages.INFO,
            )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing only; the « Renvoyer » action checks the view permission.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- the admin's ticket page: who its mails go to -----------------------------------------


@ticket_display
@admin.display(description=_("destinataires des e-mails"))
def followers_shown(ticket: Ticket) -> str:
    """Read-only: who a public note would mail (the clients choose on their ticket page), and
    who chose « Ne plus suivre ce ticket »."""
    facts = TicketFacts(
        ticket.pk, ticket.organisation_id, ticket.reporter_id, ticket.handler_id, ticket.is_private
    )
    chosen = {r.user_id: r.reason for r in recipients_for(ticket=facts, actor_id=None)}
    users = User.objects.in_bulk(chosen)
    lines = [f"{users[pk]} ({reason.label})" for pk, reason in chosen.items() if pk in users]
    muted = Follower.objects.filter(ticket=ticket, muted=True).select_related("user")
    if muted:
        lines.append(
            gettext("ne suit plus : %(names)s")
            % {"names": ", ".join(str(row.user) for row in muted)}
        )
    return " ; ".join(lines) or "—"


from . import admin_inbound  # noqa: E402, F401 - « Courriels reçus », « Courriels non rattachés »
