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
    # The sender of a mail that opened a ticket: its number and link (notifications/inbound.py).
    ACKNOWLEDGEMENT = "acknowledgement", _("accusé de réception")
    # Staff's own choices (accounts.User.notify_*, « Mes préférences » in the admin).
    NEW_TICKET = "new_ticket", _("nouveau ticket (préférence)")
    CLIENT_REPLY = "client_reply", _("réponse client sans responsable")
    EVERY_TICKET = "every_ticket", _("suit tous les tickets")
    # SUPPORT_TEAM_EMAIL: an address with no account, mailed about every new ticket.
    TEAM_ADDRESS = "team_address", _("adresse de l'équipe")


class Notification(Outbox):
    """The outbox row: one e-mail to one recipient about one event, sent at least once (the
    delivery columns and their meaning: mail.models.Outbox). The recipient is a user, or, for
    the team's address (SUPPORT_TEAM_EMAIL), which is no account, `address`: exactly one of the
    two is set."""

    MESSAGE_ID_PREFIX = "notification"

    event = models.ForeignKey(
        Event, verbose_name=_("événement"), on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    address = models.EmailField(
        _("adresse sans compte"),
        blank=True,
        help_text=_("L'adresse de l'équipe (SUPPORT_TEAM_EMAIL), quand ce n'est pas un compte."),
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
            models.UniqueConstraint(
                fields=["event", "address"],
                condition=models.Q(recipient__isnull=True),
                name="notification_one_per_event_address",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(recipient__isnull=False, address="")
                    | (models.Q(recipient__isnull=True) & ~models.Q(address=""))
                ),
                name="notification_user_xor_address",
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
        return f"{self.get_status_display()} → {self.recipient_id or self.address} ({self.event})"

    @classmethod
    def enqueue(cls, ids: Sequence[int], *, patient: bool = False) -> int:
        from .outbox import enqueue

        return enqueue(ids, patient=patient)


class Inbound(models.TextChoices):
    """What became of a mail the support mailbox received (notifications/inbound.py)."""

    NOTE = "note", _("note ajoutée")
    TICKET = "ticket", _("ticket ouvert")
    UNATTACHED = "unattached", _("non rattaché")
    AUTOMATIC = "automatic", _("automatique, ignoré")
    BOUNCE = "bounce", _("rejet de livraison")
    DISMISSED = "dismissed", _("écarté")
    FAILED = "failed", _("erreur")


INBOUND_FOLDER = "inbound"  # swept by tickets.orphans (notifications.inbound.register)


def inbound_path(instance: InboundMail, filename: str) -> str:
    received = instance.received_at or timezone.now()
    return f"{INBOUND_FOLDER}/{received:%Y/%m}/{filename}"


class InboundMail(models.Model):
    """One mail read from the support mailbox, recorded once: its key (the Message-ID, or a
    digest of a mail without one) is unique, which is how a mail seen again (a crash between
    the commit and the move to « Traités ») is recognised. The whole message is kept as an .eml
    file for staff, whatever became of it."""

    key = models.CharField(_("identifiant"), max_length=255, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    sender = models.CharField(_("expéditeur"), max_length=254, blank=True)
    sender_name = models.CharField(_("nom de l'expéditeur"), max_length=255, blank=True)
    subject = models.CharField(_("objet"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    size = models.PositiveIntegerField(_("taille (octets)"), default=0)
    raw = models.FileField(_("courriel d'origine"), upload_to=inbound_path, max_length=255)
    status = models.CharField(_("suite donnée"), max_length=20, choices=Inbound.choices)
    reason = models.TextField(_("motif"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur reconnu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mails",
    )
    note = models.ForeignKey(
        "tickets.Note",
        verbose_name=_("note"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mails",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traité par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("courriel reçu")
        verbose_name_plural = _("courriels reçus")
        indexes = [
            models.Index(fields=["status", "-received_at"], name="inbound_status_received"),
            # The per-sender cap on tickets opened by mail.
            models.Index(fields=["sender", "status", "received_at"], name="inbound_sender_status"),
        ]

    def __str__(self) -> str:
        return f"{self.sender or '?'} — {self.subject or '(sans objet)'}"


class UnattachedMail(InboundMail):
    """« Courriels non rattachés »: the mails staff attach, turn into a ticket or dismiss (those
    nobody could attach, and those that failed)."""

    class Meta:
        proxy = True
        verbose_name = _("courriel non rattaché")
        verbose_name_plural = _("courriels non rattachés")
