"""The notification outbox: what happened to a ticket, and one row per (event, recipient) to mail.

Both are written in the transaction of the change itself (see receivers.py): a change that rolls
back leaves nothing to send, and a committed one always leaves its rows, whatever the broker does.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mail.models import Outbox


class Kind(models.TextChoices):
    """Mirrors tickets.events.EventKind."""

    CREATED = "created", _("ticket ouvert")
    STATE_CHANGED = "state_changed", _("changement d'état")
    NOTE_ADDED = "note_added", _("nouvelle note")


class Event(models.Model):
    """One change to a ticket, as it stood when it happened (the mails describe this, not now).

    A client's note that also moves the ticket (an answer to « Commentaire », a reopening) is one
    event carrying both the note and the states: one mail, not two.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="notification_events",
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    old_state = models.CharField(_("ancien état"), max_length=20, blank=True)
    new_state = models.CharField(_("nouvel état"), max_length=20, blank=True)
    note = models.ForeignKey(
        "tickets.Note",
        verbose_name=_("note"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    is_private = models.BooleanField(_("note privée"), default=False)
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("événement")
        verbose_name_plural = _("événements")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.ticket_id}"


class Reason(models.TextChoices):
    """Why a user gets the mail, most specific first (a handler who also follows is a handler)."""

    HANDLER = "handler", _("responsable du ticket")
    REPORTER = "reporter", _("rapporteur")
    NOTE_AUTHOR = "note_author", _("auteur d'une note")
    ORGANISATION = "organisation", _("suit tous les tickets de l'organisation")
    FOLLOWER = "follower", _("suit ce ticket")


class Notification(Outbox):
    """The outbox row: one e-mail to one recipient about one event, sent at least once (the
    delivery columns and their meaning: mail.models.Outbox)."""

    event = models.ForeignKey(
        Event, verbose_name=_("événement"), on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    reason = models.CharField(_("motif"), max_length=20, choices=Reason.choices)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient"], name="notification_one_per_event_recipient"
            ),
        ]
        indexes = [
            # The sweeper's query, over the few rows still waiting.
            models.Index(
                fields=["due_at"],
                name="notification_queued_due",
                condition=models.Q(status="queued"),
            ),
            models.Index(fields=["status", "-created_at"], name="notification_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} → {self.recipient_id} ({self.event})"

    @classmethod
    def enqueue(cls, ids: Sequence[int], *, patient: bool = False) -> int:
        from .outbox import enqueue

        return enqueue(ids, patient=patient)
