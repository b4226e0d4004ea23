from __future__ import annotations

import functools
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from atm_support.db import AppendOnly

from .limits import (
    ADDITIONAL_INFORMATION_MAX,
    DESCRIPTION_MAX,
    HISTORY_VALUE_MAX,
    NOTE_MAX,
    STEPS_MAX,
    length_check,
    limited_text,
)


class Category(models.Model):
    """A kind of request (Anomalie, Question...) managed by staff; retired ones stay on tickets."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(
        _("proposée"),
        default=True,
        help_text=_("Décochez pour retirer la catégorie du formulaire."),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")

    def __str__(self) -> str:
        return self.name


class State(models.TextChoices):
    """MantisBT's states; each one's colour lives in CSS as `.state-<value>`."""

    NEW = "new", _("Nouveau")
    ACKNOWLEDGED = "acknowledged", _("En analyse")
    ASSIGNED = "assigned", _("Affecté")
    FEEDBACK = "feedback", _("Commentaire")
    RESOLVED = "resolved", _("Résolu")
    CLOSED = "closed", _("Fermé")


OPEN_STATES = (State.NEW, State.ACKNOWLEDGED, State.ASSIGNED, State.FEEDBACK, State.RESOLVED)
# The order of the workflow, for sorting by state and for the boxes of « Mon affichage ».
STATE_ORDER = {state: index for index, state in enumerate(State)}


class Reproducibility(models.IntegerChoices):
    """Mantis' values, so that sorting follows their meaning."""

    ALWAYS = 10, _("toujours")
    SOMETIMES = 30, _("quelques fois")
    RANDOM = 50, _("aléatoire")
    HAVE_NOT_TRIED = 70, _("non essayé")
    UNABLE = 90, _("impossible à reproduire")
    NOT_APPLICABLE = 100, _("sans objet")


class Impact(models.IntegerChoices):
    FEATURE = 10, _("fonctionnalité")
    TRIVIAL = 20, _("simple")
    TEXT = 30, _("texte")
    TWEAK = 40, _("cosmétique")
    MINOR = 50, _("mineur")
    MAJOR = 60, _("majeur")
    CRASH = 70, _("critique")
    BLOCK = 80, _("bloquant")


class Priority(models.IntegerChoices):
    NONE = 10, _("aucune")
    LOW = 20, _("basse")
    NORMAL = 30, _("normale")
    HIGH = 40, _("élevée")
    URGENT = 50, _("urgente")
    IMMEDIATE = 60, _("immédiate")


class Resolution(models.IntegerChoices):
    """MantisBT's resolution of an issue, kept on the tickets imported from it."""

    OPEN = 10, _("ouvert")
    FIXED = 20, _("corrigé")
    REOPENED = 30, _("rouvert")
    UNABLE_TO_DUPLICATE = 40, _("impossible à reproduire")
    NOT_FIXABLE = 50, _("impossible à corriger")
    DUPLICATE = 60, _("doublon")
    NOT_A_BUG = 70, _("pas une anomalie")
    SUSPENDED = 80, _("suspendu")
    WONT_FIX = 90, _("ne sera pas corrigé")


# What a client's report holds (« Ouvrir un ticket »), which staff may also correct later.
REPORT_FIELDS = (
    "category",
    "reproducibility",
    "impact",
    "priority",
    "summary",
    "description",
    "steps_to_reproduce",
    "additional_information",
)


class Counter(models.Model):
    """Gap-free sequences (ticket numbers): a row incremented in the caller's transaction."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Ticket(models.Model):
    number = models.PositiveIntegerField(_("numéro"), unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rapporteur"),
        on_delete=models.PROTECT,
        related_name="reported_tickets",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("affecté à"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_tickets",
        limit_choices_to={"is_staff": True},
    )
    category = models.ForeignKey(
        Category, verbose_name=_("catégorie"), on_delete=models.PROTECT, related_name="tickets"
    )
    reproducibility = models.PositiveSmallIntegerField(
        _("reproductibilité"),
        choices=Reproducibility.choices,
        default=Reproducibility.HAVE_NOT_TRIED,
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=Impact.choices, default=Impact.MINOR
    )
    priority = models.PositiveSmallIntegerField(
        _("priorité"), choices=Priority.choices, default=Priority.NORMAL
    )
    summary = models.CharField(_("résumé"), max_length=128)
    # Bounded so that the search's document always fits a tsvector (tickets/limits.py).
    description = limited_text(_("description"), DESCRIPTION_MAX, with_help=True)
    steps_to_reproduce = limited_text(
        _("étapes pour reproduire"), STEPS_MAX, with_help=True, blank=True
    )
    additional_information = limited_text(
        _("informations complémentaires"), ADDITIONAL_INFORMATION_MAX, with_help=True, blank=True
    )
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.NEW)
    resolution = models.PositiveSmallIntegerField(
        _("résolution"), choices=Resolution.choices, default=Resolution.OPEN
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    updated_at = models.DateTimeField(_("mis à jour le"), default=timezone.now)
    resolved_at = models.DateTimeField(_("résolu le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("fermé le"), null=True, blank=True)
    public_note_count = models.PositiveIntegerField(_("notes"), default=0, editable=False)
    # The billable minutes of its notes (private notes' included), kept by triggers on the
    # notes' table whatever writes them (migration 0016, tickets/billable.py): Accueil's
    # pending minutes read them from the ticket_org_state index instead of every open
    # ticket's notes.
    billable_minutes = models.PositiveIntegerField(
        _("minutes facturables"), default=0, editable=False
    )
    # MantisBT's private issues (view_state 50) were shown to developers only: such a ticket
    # is staff's alone, never shown, counted, searched, exported or mailed to a client
    # (tickets.selectors.tickets_visible_to and notifications.selectors.access_refused).
    is_private = models.BooleanField(
        _("privé"),
        default=False,
        help_text=_("Visible de l'équipe ATM seulement : le client ne le voit nulle part."),
    )
    # Optimistic locking for staff edits: a save based on an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    # The response targets' state, kept by tickets/targets.py in the transaction of each change
    # so that the staff list filters on them through an index (« Dépassés » on 200,000 tickets).
    first_staff_answer_at = models.DateTimeField(
        _("première réponse de l'équipe"), null=True, blank=True, editable=False
    )
    last_staff_note_at = models.DateTimeField(
        _("dernière note de l'équipe"), null=True, blank=True, editable=False
    )
    last_client_note_at = models.DateTimeField(
        _("dernier message du client"), null=True, blank=True, editable=False
    )
    target_paused_seconds = models.PositiveIntegerField(default=0, editable=False)
    clock_stopped_at = models.DateTimeField(null=True, blank=True, editable=False)
    response_due_at = models.DateTimeField(
        _("réponse attendue avant"), null=True, blank=True, editable=False
    )
    resolution_due_at = models.DateTimeField(
        _("résolution attendue avant"), null=True, blank=True, editable=False
    )
    # The deadline that runs now; null while the clock stands still (Commentaire, Résolu, Fermé).
    due_at = models.DateTimeField(_("échéance"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            length_check(model="ticket", field="description", limit=DESCRIPTION_MAX),
            length_check(model="ticket", field="steps_to_reproduce", limit=STEPS_MAX),
            length_check(
                model="ticket", field="additional_information", limit=ADDITIONAL_INFORMATION_MAX
            ),
        ]
        # Covering indexes (PostgreSQL; SQLite ignores `include`), measured in bench/README.md
        # § 5.1: every filter of the list but the text is answered from ticket_org_state alone
        # (counts; with `id` and `number`, the open tickets of the pending minutes, the ranking
        # of « Mon affichage », the order of the search's matches), and the list's default
        # order, number breaking ties, is ticket_org_updated's, whose `id` lets tickets.paging
        # read a page's ids from the index alone (page 200: 79 → 3 ms).
        indexes = [
            models.Index(
                fields=["organisation", "state", "-updated_at"],
                include=[
                    "id",
                    "number",
                    "category",
                    "priority",
                    "impact",
                    "reporter",
                    "created_at",
                    "is_private",
                    "billable_minutes",
                ],
                name="ticket_org_state",
            ),
            models.Index(
                fields=["organisation", "-updated_at", "-number"],
                include=["id", "state", "is_private"],
                name="ticket_org_updated",
            ),
            models.Index(
                fields=["organisation", "reporter", "-updated_at"], name="ticket_org_reporter"
            ),
            models.Index(fields=["state", "-updated_at"], name="ticket_state_updated"),
            # « Dépassés », « Bientôt dépassés »: the running deadlines only.
            models.Index(
                fields=["due_at"],
                include=["state", "updated_at"],
                condition=models.Q(due_at__isnull=False),
                name="ticket_due",
            ),
            # The month a ticket's time counts in (allowances.time_report): when it was resolved,
            # as the month end reads it; one month of 200,000 tickets without a scan.
            models.Index(
                Coalesce("resolved_at", "updated_at"),
                condition=models.Q(state__in=["resolved", "closed"]),
                name="ticket_resolved_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.summary}"

    def get_absolute_url(self) -> str:
        return detail_url_pattern(get_script_prefix()).format(number=self.number)

    def _get_FIELD_display(self, field: Any) -> str:
        # Django rebuilds a hashable dict of the choices on every call; lists render hundreds.
        labels = CHOICE_LABELS.get(field.name)
        if labels is None:
            return str(super()._get_FIELD_display(field))  # type: ignore[misc]
        value = getattr(self, field.attname)
        return force_str(labels.get(value, value), strings_only=True)

    @property
    def display_number(self) -> str:
        return format_number(self.number)

    @property
    def is_closed(self) -> bool:
        return self.state == State.CLOSED


@functools.cache
def detail_url_pattern(script_prefix: str) -> str:
    """The ticket page's URL with a `{number}` slot: one reverse() per prefix, not per row."""
    return reverse("tickets:detail", kwargs={"number": 7919}).replace("/7919/", "/{number}/")


# Lazy labels, translated when shown: get_state_display() and friends read them from here.
CHOICE_LABELS: dict[str, dict[Any, Any]] = {
    "state": dict(State.choices),
    "reproducibility": dict(Reproducibility.choices),
    "impact": dict(Impact.choices),
    "priority": dict(Priority.choices),
    "resolution": dict(Resolution.choices),
}


def format_number(number: int) -> str:
    """Mantis shows numbers padded to 7 digits: 0000123."""
    return f"{number:07d}"


class Note(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="notes"
    )
    # The ticket's, copied (a ticket never changes organisation): the text search looks in one
    # organisation's public notes through one GIN index (migration 0005) instead of reading the
    # matching notes of every organisation. No index of its own: an organisation that has notes
    # has tickets, whose PROTECT already refuses its deletion.
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.PROTECT,
        related_name="ticket_notes",
    )
    text = limited_text(_("note"), NOTE_MAX, with_help=True)
    is_private = models.BooleanField(
        _("privée"), default=False, help_text=_("Visible de l'équipe ATM seulement.")
    )
    minutes_spent = models.PositiveIntegerField(_("temps passé (minutes)"), default=0)
    is_billable = models.BooleanField(_("facturable"), default=True)
    created_at = models.DateTimeField(_("ajoutée le"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        constraints = [length_check(model="note", field="text", limit=NOTE_MAX)]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="note_ticket_created"),
            # The billable time of open tickets (allowances.selectors.pending_minutes), read
            # from this small partial index alone.
            models.Index(
                fields=["ticket"],
                include=["minutes_spent"],
                condition=models.Q(is_billable=True, minutes_spent__gt=0),
                name="note_billable",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Note du %(date)s") % {"date": self.created_at.strftime("%d/%m/%Y %H:%M")}

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Whoever creates a note (workflow.note_add, a fixture, a script) gets it right.
        if self.organisation_id is None and self.ticket_id is not None:
            self.organisation_id = self.ticket.organisation_id
        super().save(*args, **kwargs)


def attachment_path(instance: Attachment, filename: str) -> str:
    """A generated name: nothing the uploader chose reaches the file system."""
    return f"attachments/{instance.ticket_id}/{uuid.uuid4().hex}"


def thumbnail_path(instance: Attachment, filename: str) -> str:
    return f"thumbnails/{instance.ticket_id}/{uuid.uuid4().hex}.png"


class Attachment(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    note = models.ForeignKey(
        Note,
        verbose_name=_("note"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("fichier"), upload_to=attachment_path, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=255, blank=True)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("taille (octets)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposé par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("déposé le"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return bool(self.thumbnail)


class HistoryEntry(AppendOnly):
    """One change to a ticket: who, when, which field, old and new value. Never edited."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="history"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)
    field = models.CharField(_("champ"), max_length=50)
    # One field's value: the longest field bounds it (tickets/limits.py).
    old_value = limited_text(_("ancienne valeur"), HISTORY_VALUE_MAX, blank=True)
    new_value = limited_text(_("nouvelle valeur"), HISTORY_VALUE_MAX, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("historique")
        verbose_name_plural = _("historique")
        constraints = [
            length_check(model="history", field="old_value", limit=HISTORY_VALUE_MAX),
            length_check(model="history", field="new_value", limit=HISTORY_VALUE_MAX),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="history_ticket_created")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class Follower(models.Model):
    """One user's own choice about one ticket's mails: following it (« Suivre ce ticket », or
    added by a colleague), or not (`muted`, « Ne plus suivre ce ticket »).

    Without a row, a user follows a ticket when they reported it, wrote a note on it, or follow
    all their organisation's tickets (notifications.selectors.recipients_for). A muted row wins
    over each of these until the user follows again: the reporter who stops following is no
    longer mailed, even after writing another note. Any user may have a row, staff included
    (MantisBT's monitors are imported as followers); the handler is mailed as handler anyway.
    """

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="followers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="followed_tickets",
    )
    muted = models.BooleanField(
        _("ne suit plus"),
        default=False,
        help_text=_("L'utilisateur a choisi de ne plus recevoir les e-mails de ce ticket."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ajouté par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("abonné")
        verbose_name_plural = _("abonnés")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="follower_ticket_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.ticket}"


class LinkKind(models.TextChoices):
    """MantisBT's stored relationships, read « source <kind> target »; each is shown on both
    tickets, the target reading it the other way (« a pour doublon », « enfant de »)."""

    DUPLICATE_OF = "duplicate_of", _("doublon de")
    RELATED_TO = "related_to", _("relatif à")
    PARENT_OF = "parent_of", _("parent de")


# How the target of a link reads it.
LINK_REVERSE_LABELS = {
    LinkKind.DUPLICATE_OF: _("a pour doublon"),
    LinkKind.RELATED_TO: _("relatif à"),
    LinkKind.PARENT_OF: _("enfant de"),
}


class TicketLink(models.Model):
    """A relationship between two tickets (imported from MantisBT, or set by staff)."""

    source = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="links_from"
    )
    target = models.ForeignKey(
        Ticket, verbose_name=_("ticket lié"), on_delete=models.CASCADE, related_name="links_to"
    )
    kind = models.CharField(_("relation"), max_length=20, choices=LinkKind.choices)
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        ordering = ["source", "kind", "target"]
        verbose_name = _("lien entre tickets")
        verbose_name_plural = _("liens entre tickets")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]
        indexes = [models.Index(fields=["target"], name="ticket_link_target")]

    def __str__(self) -> str:
        kind = self.get_kind_display()
        return f"{self.source.display_number} {kind} {self.target.display_number}"


from .canned import CannedReply  # noqa: E402, F401  (tickets/canned.py)
from .counts import StateCount  # noqa: E402, F401  (tickets/counts.py)
from .queues import SavedQueue  # noqa: E402, F401  (tickets/queues.py)
from .satisfaction import Rating  # noqa: E402, F401  (tickets/satisfaction.py)
