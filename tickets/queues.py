"""A technician's saved queues: the ticket list's filters kept under a name, one click away.

Each one is a user's own (never shown to, nor deleted by, anybody else): a name and the list's
query string. The built-in queues (« Mes tickets », « Non affectés », « Dépassés »…) are not
rows: tickets/admin/queues.py lists them first.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

QUEUE_NAME_MAX = 60
QUEUE_QUERY_MAX = 1000
# A technician keeps a handful; past that the bar would wrap into a second list.
QUEUES_PER_USER = 20


class SavedQueue(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technicien"),
        on_delete=models.CASCADE,
        related_name="saved_queues",
    )
    name = models.CharField(_("nom"), max_length=QUEUE_NAME_MAX)
    query = models.CharField(_("filtres"), max_length=QUEUE_QUERY_MAX, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        ordering = ["user", "name"]
        verbose_name = _("file enregistrée")
        verbose_name_plural = _("files enregistrées")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_queue_user_name")
        ]

    def __str__(self) -> str:
        return self.name
