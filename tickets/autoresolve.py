"""« Commentaire » tickets the client left unanswered for N days become « Résolu », with a note.

The clock starts when the ticket last entered Commentaire, and starts again at every later public
note (a reminder from ATM gives the client the full delay again); a private note does not count,
the client never saw it. A client's answer moves the ticket out of Commentaire (workflow.note_add),
so a ticket still in Commentaire has had none.

Run daily by Celery beat (tickets.tasks) and by `manage.py autoresolve_feedback`. Running it twice
changes nothing more: a resolved ticket is no longer in Commentaire.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .models import HistoryEntry, Note, State, Ticket
from .workflow import WorkflowError, note_add

logger = logging.getLogger(__name__)

SYSTEM_NAME = "ATM Support"


@dataclass(frozen=True)
class Unanswered:
    pk: int
    number: str
    summary: str
    organisation: str
    waiting_since: datetime

    def days(self, now: datetime) -> int:
        return (now - self.waiting_since).days


def waiting_since() -> Greatest:
    """When the client's clock started: the latest of entering Commentaire and of the last
    public note (a Commentaire ticket has no client note since it entered that state)."""
    entered = Subquery(
        HistoryEntry.objects.filter(ticket=OuterRef("pk"), field="state", new_value=State.FEEDBACK)
        .order_by("-created_at", "-pk")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    last_public_note = Subquery(
        Note.objects.filter(ticket=OuterRef("pk"), is_private=False)
        .order_by("-created_at", "-pk")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    # Coalesce on each side: SQLite's GREATEST is NULL as soon as one argument is.
    return Greatest(Coalesce(entered, F("created_at")), Coalesce(last_public_note, F("created_at")))


def unanswered(*, days: int, now: datetime | None = None) -> list[Unanswered]:
    """Commentaire tickets waiting for the client for `days` days or more, oldest number first."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    rows = (
        Ticket.objects.filter(state=State.FEEDBACK)
        .annotate(waiting_since=waiting_since())
        .filter(waiting_since__lte=cutoff)
        .select_related("organisation")
        .order_by("number")
    )
    return [
        Unanswered(
            pk=ticket.pk,
            number=ticket.display_number,
            summary=ticket.summary,
            organisation=ticket.organisation.name,
            waiting_since=ticket.waiting_since,
        )
        for ticket in rows
    ]


def system_author() -> User:
    """The author of automatic notes: « ATM Support », a staff account nobody can sign in to.

    Note.author is required; the state change itself is made by the system (by=None), as the
    workflow wants for auto-resolution, and the history shows it as automatic.
    """
    user, created = User.objects.get_or_create(
        email=settings.SUPPORT_EMAIL.lower(),
        defaults={"first_name": SYSTEM_NAME, "is_staff": True, "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not user.is_staff:
        raise WorkflowError(
            _("%(email)s est un compte client : il ne peut pas signer les notes automatiques.")
            % {"email": user.email}
        )
    return user


def note_text(days: int) -> str:
    return _(
        "Sans réponse de votre part depuis %(days)s jours, ce ticket passe « Résolu » "
        "automatiquement. Si la question reste d'actualité, ajoutez une note pour le réouvrir."
    ) % {"days": days}


def autoresolve_feedback(
    *, days: int, dry_run: bool = False, now: datetime | None = None
) -> list[Unanswered]:
    """Resolve the unanswered Commentaire tickets; return those resolved (or, dry, to resolve)."""
    now = now or timezone.now()
    found = unanswered(days=days, now=now)
    if dry_run or not found:
        return found
    author = system_author()
    cutoff = now - timedelta(days=days)
    resolved: list[Unanswered] = []
    for item in found:
        try:
            with transaction.atomic():
                # Checked again with the row locked: the client may have answered meanwhile.
                still_waiting = (
                    Ticket.objects.select_for_update()
                    .filter(pk=item.pk, state=State.FEEDBACK)
                    .annotate(waiting_since=waiting_since())
                    .filter(waiting_since__lte=cutoff)
                )
                if not list(still_waiting):
                    continue
                note_add(
                    ticket=item.pk,
                    author=author,
                    text=note_text(days),
                    is_billable=False,
                    move_to=State.RESOLVED,
                    move_by_system=True,
                )
        except WorkflowError:
            logger.warning("Ticket %s not auto-resolved", item.number, exc_info=True)
            continue
        resolved.append(item)
    return resolved
