from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mantis.importer import Options, run_import, terminal_progress
from mantis.plan import PlanError, parse_pairs
from mantis.source import SourceError


class Command(BaseCommand):
    help = (
        "Reprend une base MantisBT (1.2.x ou 2.x, sur MySQL/MariaDB, lue sans y écrire) : "
        "projets, utilisateurs, tickets sous les mêmes numéros, notes, fichiers, historique, "
        "abonnés, relations et soldes. Rejouable : un nouveau passage ne reprend que ce qui a "
        "changé. Aucun e-mail n'est envoyé. Voir docs/migration.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            required=True,
            help="base MantisBT : mysql://UTILISATEUR:MOT_DE_PASSE@HÔTE:PORT/BASE",
        )
        parser.add_argument("--table-prefix", default="mantis_", help="préfixe des tables")
        parser.add_argument("--table-suffix", default="_table", help="suffixe des tables")
        parser.add_argument(
            "--files-dir", type=Path, help="ancien dossier des fichiers joints sur disque"
        )
        parser.add_argument(
            "--project",
            action="append",
            default=[],
            metavar="PROJET=ORGANISATION",
            help="organisation d'un projet MantisBT (par défaut : même nom) ; répétable",
        )
        parser.add_argument(
            "--skip-project",
            action="append",
            default=[],
            metavar="PROJET",
            help="projet laissé de côté (projets internes d'ATM) ; répétable",
        )
        parser.add_argument(
            "--user-organisation",
            action="append",
            default=[],
            metavar="EMAIL=ORGANISATION",
            help="organisation d'un client présent dans plusieurs projets clients ; répétable",
        )
        parser.add_argument(
            "--time-not-billable",
            action="append",
            default=[],
            metavar="PROJET",
            help="projet dont le temps passé n'était pas facturé ; répétable",
        )
        parser.add_argument(
            "--balances",
            type=Path,
            help="CSV organisation;forfait_minutes;solde_minutes;mois (AAAA-MM)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="tout lire et vérifier, ne rien écrire"
        )
        parser.add_argument("--report", type=Path, help="écrire aussi le rapport dans ce fichier")
        parser.add_argument(
            "--batch-size", type=int, default=500, help="tickets par transaction (500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["files_dir"] is not None and not options["files_dir"].is_dir():
            raise CommandError(f"--files-dir : le dossier {options['files_dir']} n'existe pas.")
        if options["balances"] is not None and not options["balances"].is_file():
            raise CommandError(f"--balances : le fichier {options['balances']} n'existe pas.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size : un nombre de tickets supérieur à 0.")
        try:
            settings = Options(
                project_map=parse_pairs(options["project"], "--project"),
                skip_projects=options["skip_project"],
                user_organisations=parse_pairs(options["user_organisation"], "--user-organisation"),
                not_billable=options["time_not_billable"],
                balances=options["balances"],
                files_dir=options["files_dir"],
            )
            report = run_import(
                options["source"],
                options=settings,
                prefix=options["table_prefix"],
                suffix=options["table_suffix"],
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                progress=terminal_progress(sys.stderr),
            )
        except SourceError as error:
            raise CommandError(f"{error}\nRien n'a été écrit.") from None
        except PlanError as error:
            problems = "\n".join(f"- {problem}" for problem in error.problems)
            raise CommandError(f"Import impossible, rien n'a été écrit :\n{problems}") from None
        text = report.render()
        self.stdout.write(text, ending="")
        if options["report"] is not None:
            try:
                options["report"].write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"--report : écriture impossible ({error}).") from None
