from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from allowances.periods import PeriodError, format_period, parse_period
from allowances.report import ReportRow, allowance_report
from atm_support.minutes import format_minutes

COLUMNS = (
    "organisation",
    "forfait_mensuel",
    "solde_debut",
    "credit",
    "tickets_decomptes",
    "decompte",
    "ajustements",
    "solde_fin",
)


class Command(BaseCommand):
    help = (
        "Crédit d'heures de chaque organisation pour un mois : forfait, solde de début, crédit, "
        "tickets décomptés, ajustements, solde de fin (les plus bas d'abord). Tableau lisible, "
        "ou CSV (séparateur « ; », montants en minutes) avec --csv."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="le mois, AAAA-MM")
        parser.add_argument("--csv", action="store_true", help="sortie CSV sur la sortie standard")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = parse_period(options["period"])
        except PeriodError as error:
            raise CommandError(str(error)) from error
        rows = allowance_report(period)
        if options["csv"]:
            writer = csv.writer(self.stdout, delimiter=";", lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(
                    [
                        row.organisation,
                        row.monthly,
                        row.opening,
                        row.credit,
                        row.tickets,
                        row.debited,
                        row.adjusted,
                        row.closing,
                    ]
                )
            return
        self.write_table(format_period(period), rows)

    def write_table(self, month: str, rows: list[ReportRow]) -> None:
        headers = (
            "Organisation",
            "Forfait",
            "Début",
            "Crédit",
            "Tickets",
            "Décompté",
            "Ajust.",
            "Fin",
        )
        lines = [
            (
                row.organisation,
                format_minutes(row.monthly),
                format_minutes(row.opening),
                format_minutes(row.credit, signed=True),
                str(row.tickets),
                format_minutes(row.debited),
                format_minutes(row.adjusted, signed=True) if row.adjusted else "",
                format_minutes(row.closing) + (" (dépassement)" if row.closing < 0 else ""),
            )
            for row in rows
        ]
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
        self.stdout.write(f"Crédit d'heures — {month}")
        self.stdout.write(
            "  ".join(
                h.ljust(w) if i == 0 else h.rjust(w)
                for i, (h, w) in enumerate(zip(headers, widths, strict=True))
            )
        )
        for line in lines:
            self.stdout.write(
                "  ".join(
                    c.ljust(w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(line, widths, strict=True))
                )
            )
        if not lines:
            self.stdout.write("Aucune organisation.")
