from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tickets.autoresolve import autoresolve_feedback
from tickets.management.arguments import positive_count
from tickets.workflow import WorkflowError


def positive_days(value: str) -> int:
    return positive_count(value, option="--days", unit="jour", units="de jours")


class Command(BaseCommand):
    help = (
        "Passe « Résolu », avec une note explicative, les tickets « Commentaire » restés sans "
        "réponse du client depuis N jours (AUTORESOLVE_FEEDBACK_DAYS, 30 par défaut). Celery "
        "beat le fait chaque jour ; relancer ne change rien de plus."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            default=None,
            help="jours sans réponse du client (défaut : AUTORESOLVE_FEEDBACK_DAYS)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="afficher les tickets concernés sans rien modifier",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options["days"]
        days = settings.AUTORESOLVE_FEEDBACK_DAYS if raw is None else positive_days(str(raw))
        dry_run = bool(options["dry_run"])
        now = timezone.now()
        try:
            tickets = autoresolve_feedback(days=days, dry_run=dry_run, now=now)
        except WorkflowError as error:
            raise CommandError(str(error)) from error
        verb = "serait résolu" if dry_run else "résolu"
        for ticket in tickets:
            self.stdout.write(
                f"{ticket.number} {ticket.summary} ({ticket.organisation}) — sans réponse "
                f"depuis {ticket.days(now)} jours : {verb}."
            )
        if not tickets:
            self.stdout.write(f"Aucun ticket « Commentaire » sans réponse depuis {days} jours.")
        elif dry_run:
            self.stdout.write(f"{len(tickets)} ticket(s) à résoudre ; rien n'a été modifié.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{len(tickets)} ticket(s) résolu(s)."))
