from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
