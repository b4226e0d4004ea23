from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tickets.counts import recount


class Command(BaseCommand):
    help = (
        "Recompte les tickets par état que montre l'« Accueil » des clients (tenus à chaque "
        "changement ; l'import MantisBT les recompte lui-même). À lancer après une écriture "
        "directe en base."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organisation",
            type=int,
            action="append",
            help="identifiant d'une organisation (répétable ; défaut : toutes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wrong = recount(options["organisation"])
        self.stdout.write(f"Tickets par état recomptés : {wrong} compteur(s) corrigé(s).")
