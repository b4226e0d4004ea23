"""The ATM team's ticket desk in Django's admin: every button goes through tickets.workflow (or
editing.py). This module puts the parts together and registers them; each file holds one part:

- changelist.py: the ticket list, its filters and columns (bounded queries at 200,000 tickets);
- actions.py: the list's bulk actions and the ticket page's one-click buttons, and the forms of
  the actions that write a note;
- change_form.py: the ticket page, its form and « Ajouter une note », saved through editing.py
  and workflow.py; `ticket_display`, where other apps add a read-only line to it;
- categories.py: the categories' admin;
- canned.py: the canned replies' admin (« Réponses types ») and their picker beside a note.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.access import is_staff
from atm_support.admin_french import FrenchAdmin, Noun

from ..models import CannedReply, Category, Ticket
from .actions import TicketActions
from .canned import CannedReplyAdmin
from .categories import CategoryAdmin
from .change_form import TicketChangeForm, ticket_display
from .changelist import TicketListAdmin
from .ratings import ratings_shown  # noqa: F401 - the clients' ratings on the ticket page

__all__ = ["CannedReplyAdmin", "CategoryAdmin", "TicketAdmin", "ticket_display"]

# The admin index shows who is waiting on whom (templates/admin/tickets/index.html).
admin.site.index_template = "admin/tickets/index.html"


class TicketAdmin(FrenchAdmin, TicketChangeForm, TicketActions, TicketListAdmin):
    """Tickets for every active staff member (no per-model permission to grant first); Fermé
    is read-only."""

    french = Noun("le", "ticket", "tickets")

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


admin.site.register(Category, CategoryAdmin)
admin.site.register(CannedReply, CannedReplyAdmin)
admin.site.register(Ticket, TicketAdmin)
