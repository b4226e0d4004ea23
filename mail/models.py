"""The outbox: one row per e-mail to one recipient, written in the transaction of the change it
reports, and sent at least once by a worker (mail.sending, mail.outbox).

Each kind of mail has its own table (notifications.Notification, allowances.AllowanceMail), with
what its mails are about and its recipient; the columns of the delivery are declared here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The longest error an outbox row records (mail.sending.record_failure cuts it to this).
ERROR_MAX = 2_000


class Status(models.TextChoices):
    QUEUED = "queued", _("à envoyer")
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec")
    CANCELLED = "cancelled", _("annulé")
    # The recipient could no longer read what the mail shows when it was due (deactivated, moved
    # to another organisation, no longer staff for a private note): never sent, never resent.
    NO_ACCESS = "no_access", _("sans accès au ticket")


class Outbox(models.Model):
    """The delivery columns of an outbox row. A concrete outbox adds a `recipient` (a user: its
    `email`, `language`, `is_active`, `is_staff` and `organisation_id` are read), what the mail
    is about, its indexes (a partial one on `due_at` for QUEUED rows, for the sweeper), and
    `enqueue`, which hands rows to its Celery task.

    `due_at` is when a task message for the row should have run (its creation, or the end of the
    countdown of its next retry); the sweeper re-enqueues QUEUED rows overdue by
    NOTIFICATIONS_SWEEP_AFTER, which covers a broker down at commit time and lost messages.
    """

    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    due_at = models.DateTimeField(_("prévu le"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    sent_to = models.EmailField(_("envoyé à"), blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)

    # Its mails' Message-ID is <PREFIX-pk@domain> (mail.sending.message_id): what a bounce
    # names to be matched back to its row (mail.outbox.mark_bounced).
    MESSAGE_ID_PREFIX: ClassVar[str] = ""

    class Meta:
        abstract = True

    @classmethod
    def enqueue(cls, ids: Sequence[int], *, patient: bool = False) -> int:
        """Hand these rows to the workers; never raises. Returns how many were handed over (0
        when the broker refused or timed out: the rows then wait for the sweeper)."""
        raise NotImplementedError(f"{cls.__name__} must say how its rows are sent")
