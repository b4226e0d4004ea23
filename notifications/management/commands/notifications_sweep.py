from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mail.tasks import sweep_outboxes


class Command(BaseCommand):
    help = (
        "Re-enqueue the e-mails still waiting, notifications and allowance mails (what beat does "
        "every minute). Without a broker they are sent right here: the way to retry them when "
        "no worker runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=0,
            help="Only rows overdue by this many seconds (default 0: every due row).",
        )

    def handle(self, *args: Any, older_than: float, **options: Any) -> None:
        count = sweep_outboxes(older_than=older_than)
        self.stdout.write(f"{count} e-mail(s) re-enqueued.")
