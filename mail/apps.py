from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """Every e-mail the product sends (and, later, reads): below the apps that have mail to send.

    It imports no app of the project: an outbox row's recipient is read by its attributes
    (`email`, `language`, `is_active`, `is_staff`), and each outbox says how its rows are sent.
    """

    name = "mail"
    verbose_name = _("E-mails")
