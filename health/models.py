"""What the health endpoint cannot ask directly: when a worker last ran a task from beat."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """One row per beating thing, overwritten at each beat (no history: only the latest counts).

    In the database rather than in Redis: a Redis eviction or flush would fake a dead worker, and
    a row written by the worker also proves it reaches the database, as every mail needs.
    """

    WORKER = "worker"

    name = models.CharField(_("nom"), max_length=40, primary_key=True)
    beat_at = models.DateTimeField(_("dernier battement"))

    class Meta:
        verbose_name = _("battement")
        verbose_name_plural = _("battements")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"
