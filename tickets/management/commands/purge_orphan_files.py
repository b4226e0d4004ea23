from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.template.defaultfilters import filesizeformat

from tickets.management.arguments import positive_count
from tickets.orphans import find_orphans, purge_orphans


def positive_hours(value: str) -> int:
    return positive_count(value, option="--older-than", unit="heure", units="d'heures")


class Command(BaseCommand):
    help = (
        "Supprime les fichiers joints qu'aucune pièce jointe ne référence plus (transaction "
        "annulée, ticket supprimé) et les courriels d'origine qu'aucun courriel reçu ne "
        "référence (traitement annulé), écrits depuis plus de N heures (1 par défaut). Celery "
        "beat le fait chaque nuit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", default="1", help="heures depuis l'écriture du fichier (défaut : 1)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="lister les fichiers sans les supprimer"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        older_than = timedelta(hours=positive_hours(str(options["older_than"])))
        dry_run = bool(options["dry_run"])
        orphans = (find_orphans if dry_run else purge_orphans)(older_than=older_than)
        for orphan in orphans:
            self.stdout.write(f"{orphan.name} ({filesizeformat(orphan.size)})")
        total = filesizeformat(sum(orphan.size for orphan in orphans))
        if not orphans:
            self.stdout.write("Aucun fichier orphelin.")
        elif dry_run:
            self.stdout.write(f"{len(orphans)} fichier(s) orphelin(s), {total} ; rien supprimé.")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"{len(orphans)} fichier(s) orphelin(s) supprimé(s), {total}.")
            )
