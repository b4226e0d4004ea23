from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.backups import BackupError, attachments_copy


class Command(BaseCommand):
    help = (
        "Copie les pièces jointes d'un dossier local (l'ancien PRIVATE_MEDIA_ROOT) vers le "
        "stockage configuré (le bucket S3), sous les mêmes noms, sans rien écraser ; puis vérifie "
        "que chaque fichier référencé par la base y est. Rejouable. Voir docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from-dir", required=True, type=Path, help="dossier local des pièces jointes"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["from_dir"]).resolve()
        if not folder.is_dir():
            raise CommandError(f"{folder} n'est pas un dossier.")
        target = storages["default"]
        if isinstance(target, FileSystemStorage) and Path(target.location).resolve() == folder:
            raise CommandError(
                f"{folder} est déjà le stockage configuré : définissez ATTACHMENTS_S3_BUCKET "
                "(ou un autre PRIVATE_MEDIA_ROOT) pour la cible."
            )
        try:
            result = attachments_copy(source=FileSystemStorage(location=folder), target=target)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{result.copied} fichier(s) copié(s), {result.skipped} déjà présent(s) dans la cible."
        )
        if result.missing:
            shown = ", ".join(result.missing[:5]) + (" …" if len(result.missing) > 5 else "")
            raise CommandError(
                f"{len(result.missing)} fichier(s) référencé(s) par la base manquent dans la "
                f"cible et dans {folder} : {shown}"
            )
        self.stdout.write(
            self.style.SUCCESS("Chaque fichier référencé par la base est dans la cible.")
        )
