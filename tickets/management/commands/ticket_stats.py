from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Organisation
from tickets.models import State
from tickets.stats import Figures, format_duration, ticket_stats

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def parse_since(value: str) -> datetime:
    """The start of that day, Paris time (TIME_ZONE): 2026-03-01 or 01/03/2026."""
    for fmt in DATE_FORMATS:
        try:
            day: date = datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC).date()
        except ValueError:
            continue
        return timezone.make_aware(datetime.combine(day, time.min))
    raise CommandError(f"--since : date invalide {value!r} ; attendu AAAA-MM-JJ (ou JJ/MM/AAAA).")


def minutes(figure: Any) -> str:
    return "" if figure is None else str(round(figure.total_seconds() / 60))


class Command(BaseCommand):
    help = (
        "Statistiques des tickets par organisation : nombre par état, médiane du délai de "
        "première réponse de l'équipe ATM et du délai de résolution. Tableau lisible, ou CSV "
        "(séparateur « ; », durées en minutes) avec --csv."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="nom de l'organisation (sinon : toutes)")
        parser.add_argument(
            "--since", help="seulement les tickets créés depuis cette date (AAAA-MM-JJ)"
        )
        parser.add_argument("--csv", action="store_true", help="sortie CSV sur la sortie standard")
        parser.add_argument(
            "--include-private",
            action="store_true",
            help="compter aussi les tickets privés (internes à ATM, que le client ne voit pas)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = None
        if options["organisation"]:
            name = options["organisation"].strip()
            organisation = Organisation.objects.filter(name__iexact=name).first()
            if organisation is None:
                known = ", ".join(Organisation.objects.values_list("name", flat=True)) or "aucune"
                raise CommandError(f"Organisation « {name} » introuvable (existantes : {known}).")
        since = parse_since(options["since"]) if options["since"] else None
        rows, total = ticket_stats(
            organisation=organisation, since=since, include_private=options["include_private"]
        )
        if options["csv"]:
            self.write_csv(rows, total)
        else:
            self.write_table(rows, total, since)

    def write_csv(self, rows: list[Figures], total: Figures) -> None:
        writer = csv.writer(self.stdout, delimiter=";", lineterminator="\n")
        writer.writerow(
            [
                "Organisation",
                *[str(state.label) for state in State],
                "Total",
                "Médiane première réponse (minutes)",
                "Médiane résolution (minutes)",
            ]
        )
        for figures in [*rows, total] if rows else []:
            writer.writerow(
                [
                    figures.name,
                    *[figures.counts[state.value] for state in State],
                    figures.total,
                    minutes(figures.first_answer_median),
                    minutes(figures.resolution_median),
                ]
            )

    def write_table(self, rows: list[Figures], total: Figures, since: datetime | None) -> None:
        day = f"{timezone.localtime(since):%d/%m/%Y}" if since else ""
        if not rows:
            self.stdout.write(f"Aucun ticket créé depuis le {day}." if since else "Aucun ticket.")
            return
        scope = f" créés depuis le {day}" if since else ""
        self.stdout.write(f"Tickets{scope}, par organisation :")
        headers = [
            "Organisation",
            *[str(state.label) for state in State],
            "Total",
            "1re réponse",
            "Résolution",
        ]
        lines = [
            [
                figures.name,
                *[str(figures.counts[state.value]) for state in State],
                str(figures.total),
                format_duration(figures.first_answer_median),
                format_duration(figures.resolution_median),
            ]
            for figures in [*rows, total]
        ]
        widths = [max(len(line[i]) for line in [headers, *lines]) for i in range(len(headers))]

        def render(cells: list[str]) -> str:
            first = cells[0].ljust(widths[0])
            return "  ".join(
                [first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))]
            )

        self.stdout.write(render(headers))
        for line in lines[:-1]:
            self.stdout.write(render(line))
        self.stdout.write("-" * len(render(headers)))
        self.stdout.write(render(lines[-1]))
        self.stdout.write(
            "Délais : médianes (1re réponse : première note publique de l'équipe ATM)."
        )
