from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from demo import seed as demo


class Command(BaseCommand):
    help = (
        "Crée (ou remet en état) les données de démonstration : un administrateur ATM, deux "
        "organisations clientes avec six mois de contrat (forfait, tickets, fins de mois, "
        "relevés). Peut être relancée : une organisation qui a déjà des données est laissée telle "
        "quelle."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo.seed()
        site = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        if result.tickets:
            self.stdout.write(
                f"  {result.tickets} tickets de démonstration créés, dans chaque état, et "
                f"{demo.CONTRACT_MONTHS_AGO} fins de mois passées (relevés non envoyés)."
            )
        for name in result.skipped:
            self.stdout.write(
                f"  {name} : historique déjà en place, laissé tel quel (pour repartir de "
                "zéro, supprimez la base, par exemple var/db.sqlite3)."
            )
        email, password, *_ = demo.STAFF
        self.stdout.write(f"  Équipe ATM (admin) : {site}/admin/  {email} / {password}")
        for name, members in demo.CLIENTS.items():
            forfait = demo.ALLOWANCES[name] // 60
            for member_email, *_ in members:
                self.stdout.write(
                    f"  Client {name:<20} {site}/  {member_email} / {demo.CLIENT_PASSWORD}"
                    f"  (forfait {forfait} h par mois)"
                )
