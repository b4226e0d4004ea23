from __future__ import annotations

from django.db import models


class Category(models.Model):
    """A kind of request (Anomalie, Question...) managed by staff; retired ones stay on tickets."""

    name = models.CharField("nom", max_length=100, unique=True)
    position = models.PositiveIntegerField("ordre", default=0)
    is_active = models.BooleanField(
        "proposée", default=True, help_text="Décochez pour retirer la catégorie du formulaire."
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "catégorie"
        verbose_name_plural = "catégories"

    def __str__(self) -> str:
        return self.name
