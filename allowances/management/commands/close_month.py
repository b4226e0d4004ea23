from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from allowances.month_end import MonthEndError, OrganisationMonth, close_month
from allowances.periods import PeriodError, format_period, parse_period
from atm_support.minutes import format_minutes


class Command(BaseCommand):
    help = (
        "Fin de mois : ferme les tickets « Résolu » du mois écoulé, décompte leur temps "
        "facturable (arrondi au quart d'heure), verse le crédit du mois suivant et envoie les "
        "relevés. Celery beat le lance le 1er de chaque mois à 0 h 05 ; relancer (même en même "
        "temps, ou après une panne) ne change rien de plus, et un mois manqué est rattrapé."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period", help="mois à clore, AAAA-MM (défaut : le mois précédent, heure de Paris)"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="afficher ce qui serait fait, sans rien écrire ni envoyer",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = parse_period(options["period"]) if options["period"] else None
        except PeriodError as error:
            raise CommandError(str(error)) from error
        dry_run = bool(options["dry_run"])
        verbose = int(options["verbosity"]) >= 1
        try:
            report = close_month(
                period=period, dry_run=dry_run, progress=self.describe if verbose else None
            )
        except MonthEndError as error:
            raise CommandError(str(error)) from error
        closed = len({month.organisation_id for month in report.months})
        summary = (
            f"Mois {format_period(report.period)} : {report.organisations} organisation(s), "
            f"{closed} clôturée(s), {report.already_done} déjà à jour ; "
            f"{report.tickets_closed} ticket(s) fermé(s), "
            f"{format_minutes(report.minutes_debited)} décomptée(s)."
        )
        if dry_run:
            self.stdout.write(f"Simulation — {summary} Rien n'a été écrit ni envoyé.")
        elif report.months:
            self.stdout.write(self.style.SUCCESS(summary))
        else:
            self.stdout.write(f"{summary} Rien à faire : le mois est déjà clos partout.")

    def describe(self, month: OrganisationMonth) -> None:
        tickets = ", ".join(
            f"{ticket.number:07d} ({format_minutes(ticket.debit)})" for ticket in month.tickets
        )
        credit = "pas de crédit"
        if month.credit_period:
            amount = format_minutes(month.credit, signed=True)
            credit = f"crédit {format_period(month.credit_period)} {amount}"
        warning = {"low": " — solde sous 20 % du forfait", "negative": " — dépassement"}.get(
            str(month.level or ""), ""
        )
        self.stdout.write(
            f"{format_period(month.period)} {month.organisation} : "
            f"{len(month.tickets)} ticket(s) fermé(s){' : ' + tickets if tickets else ''} ; "
            f"décompté {format_minutes(month.debited)} ; {credit} ; "
            f"solde {format_minutes(month.balance)}{warning} ; "
            f"{month.statements} relevé(s) à envoyer"
        )
