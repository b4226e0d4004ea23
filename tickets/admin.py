from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Category, HistoryEntry, Note, Ticket


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


class NoteInline(admin.StackedInline[Note, Ticket]):
    model = Note
    extra = 0
    can_delete = False
    fields = ("author", "created_at", "is_private", "minutes_spent", "is_billable", "text")
    readonly_fields = fields
    ordering = ["-created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryInline(admin.TabularInline[HistoryEntry, Ticket]):
    model = HistoryEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "field", "old_value", "new_value")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    """Read-only view of tickets; state changes go through tickets.workflow only."""

    list_display = [
        "display_number",
        "organisation",
        "summary",
        "state_badge",
        "priority",
        "impact",
        "category",
        "handler",
        "updated_at",
    ]
    list_filter = ["state", "organisation", "category", "priority", "impact"]
    list_select_related = ["organisation", "category", "handler"]
    search_fields = ["=number", "summary", "organisation__name"]
    ordering = ["-updated_at"]
    show_full_result_count = False
    inlines = [NoteInline, HistoryInline]
    readonly_fields = [
        "number",
        "organisation",
        "reporter",
        "handler",
        "state",
        "category",
        "reproducibility",
        "impact",
        "priority",
        "summary",
        "description",
        "steps_to_reproduce",
        "additional_information",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
    ]

    @admin.display(description=_("n°"), ordering="number")
    def display_number(self, obj: Ticket) -> str:
        return obj.display_number

    @admin.display(description=_("état"), ordering="state")
    def state_badge(self, obj: Ticket) -> str:
        return format_html(
            '<span class="state state-{}">{}</span>', obj.state, obj.get_state_display()
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clients report tickets from the portal

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
