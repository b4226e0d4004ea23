"""`manage.py fetch_mail`: read the support mailbox once now, as the beat task does."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mail.inbound import fetch
from mail.inbound.mailbox import FAILED, PROCESSED, MailboxError


class Command(BaseCommand):
    help = "Lit la boîte du support (INBOUND_IMAP_URL) : réponses → notes, courriels → tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, help="au plus ce nombre de messages")

    def handle(self, *args: Any, **options: Any) -> None:
        if not fetch.enabled():
            raise CommandError("INBOUND_IMAP_URL n'est pas réglé : la réception est désactivée.")
        try:
            moved = fetch.fetch(limit=options["limit"])
        except MailboxError as error:
            raise CommandError(f"Boîte du support injoignable : {error}") from error
        self.stdout.write(f"{moved[PROCESSED]} message(s) traité(s), {moved[FAILED]} en erreur.")
