"""What the import remembers of each MantisBT row it brought over, so that a second run writes
only what is new or changed there (mantis.importer)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """The MantisBT tables (without prefix and suffix) whose rows are remembered."""

    PROJECT = "project", "project"
    CATEGORY = "category", "category"
    USER = "user", "user"
    BUG = "bug", "bug"
    BUGNOTE = "bugnote", "bugnote"
    FILE = "bug_file", "bug_file"
    HISTORY = "bug_history", "bug_history"
    # How far the history was read: one row per batch, its last id (mantis.importer._history).
    HISTORY_SEEN = "bug_history_seen", "bug_history (lu jusqu'à)"
    MONITOR = "bug_monitor", "bug_monitor"
    RELATIONSHIP = "bug_relationship", "bug_relationship"
    BALANCE = "balance", "balance"


class ImportedRow(models.Model):
    """One MantisBT row and the object it became here.

    `mantis_id` is the row's id (for the monitors, which have none: bug id * 2**32 + user id).
    `digest` sums up the source columns the import reads: a row whose digest is unchanged is
    left alone by the next run, one whose digest changed is updated.
    """

    source = models.CharField(_("table MantisBT"), max_length=20, choices=Source.choices)
    mantis_id = models.BigIntegerField(_("identifiant MantisBT"))
    object_id = models.BigIntegerField(_("identifiant ici"))
    digest = models.CharField(_("empreinte"), max_length=32, blank=True)
    imported_at = models.DateTimeField(_("importé le"), default=timezone.now)

    class Meta:
        verbose_name = _("ligne importée de MantisBT")
        verbose_name_plural = _("lignes importées de MantisBT")
        constraints = [
            models.UniqueConstraint(fields=["source", "mantis_id"], name="imported_row_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.mantis_id} → {self.object_id}"
