"""Staff edits of a ticket's report (category, priority, summary…): locked, versioned, recorded.

State and handler are not edited here: they belong to the state machine (workflow.py). This is
the same discipline for the other fields: the row locked, the version checked (optimistic
locking: a change based on an older page is refused), one history row per changed field, the
version bumped. The admin's change page calls it first, then the workflow's functions, in one
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import counts, targets
from .models import REPORT_FIELDS, HistoryEntry, Ticket
from .workflow import WorkflowError, lock_current

if TYPE_CHECKING:
    from accounts.models import User

# What staff may change beside state and handler; the reporter's organisation and the dates not.
DETAIL_FIELDS = (
    *REPORT_FIELDS,
    "resolution",
    # Staff's alone (tickets.selectors.tickets_visible_to); the client's history never shows
    # its changes (tickets.views.detail.history_lines).
    "is_private",
)


def _shown(ticket: Ticket, name: str) -> str:
    """A value as the history shows it: a choice's label, a category's name."""
    field = Ticket._meta.get_field(name)
    value = getattr(ticket, name)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(field, models.Field) and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def ticket_update_details(
    *,
    ticket: Ticket | int,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Ticket:
    """Apply `changes` (a subset of DETAIL_FIELDS) or raise WorkflowError saying why not.

    With no actual change, nothing is written, but the version is still checked: the admin
    calls this first to hold the row and refuse a stale page before the workflow moves it.
    """
    if not by.is_staff:
        raise WorkflowError(_("Seule l'équipe ATM modifie un ticket."))
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    with transaction.atomic():
        locked = lock_current(ticket, expected_version=expected_version)
        if locked.is_closed:
            raise WorkflowError(_("Un ticket fermé ne se modifie plus."))
        changed: list[str] = []
        for name, value in changes.items():
            if isinstance(value, str):
                value = value.strip()
            old = _shown(locked, name)
            if getattr(locked, name) == value:
                continue
            setattr(locked, name, value)
            HistoryEntry.objects.create(
                ticket=locked, actor=by, field=name, old_value=old, new_value=_shown(locked, name)
            )
            changed.append(name)
        if "priority" in changed:
            # Its targets follow the priority (tickets/targets.py).
            targets.refresh(locked)
            changed.extend(targets.TARGET_FIELDS)
        if "is_private" in changed:
            # « Accueil » counts a client's public tickets only (tickets/counts.py).
            counts.privacy_changed(locked, was_private=not locked.is_private)
        if changed:
            locked.updated_at = timezone.now()
            locked.version += 1
            locked.save(update_fields=[*changed, "updated_at", "version"])
    return locked
