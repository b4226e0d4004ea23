from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from tickets.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Sauvegarde la base PostgreSQL (pg_dump, format custom) et les pièces jointes (dossier "
        "local ou bucket S3) dans un nouveau dossier daté sous --dest, avec un manifeste et "
        "leurs sommes SHA-256. Voir docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dest", required=True, type=Path, help="dossier où créer la sauvegarde datée"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = backup_create(dest=Path(options["dest"]))
        except BackupError as error:
            raise CommandError(str(error)) from None
        database, attachments = backup.manifest["database"], backup.manifest["attachments"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Sauvegarde écrite dans {backup.folder} : base « {database['name']} » "
                f"({filesizeformat(database['size'])}), {attachments['files']} fichier(s) "
                f"joint(s) ({filesizeformat(attachments['size'])})."
            )
        )
