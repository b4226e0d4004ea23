from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde de `manage.py backup` dans la base (DATABASE_URL) et le stockage "
        "des pièces jointes configurés, qui doivent être vides : une base neuve créée par "
        "createdb, sans migrate. --force remplace le contenu d'une base ou d'un stockage non "
        "vides. Voir docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            required=True,
            type=Path,
            help="dossier de la sauvegarde (celui qui contient manifest.json)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="remplacer le contenu d'une base ou d'un stockage qui ne sont pas vides",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = backup_restore(source=Path(options["source"]), force=bool(options["force"]))
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Sauvegarde restaurée dans la base « {restored.database} » : "
                f"{restored.files} fichier(s) joint(s). Lancez ensuite « manage.py migrate » si "
                "le code est plus récent que la sauvegarde."
            )
        )
