from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Organisation, User
from tickets.models import Category

STAFF = ("admin@atm-consulting.fr", "Demo-Admin-2026", "Alice", "Technicienne")
CLIENTS = {
    "Boulangerie Martin": [
        ("paul@boulangerie-martin.fr", "Paul", "Martin"),
        ("lea@boulangerie-martin.fr", "Léa", "Martin"),
    ],
    "Cabinet Durand": [
        ("sophie@cabinet-durand.fr", "Sophie", "Durand"),
        ("marc@cabinet-durand.fr", "Marc", "Lefèvre"),
    ],
}
CLIENT_PASSWORD = "Demo-Client-2026"
CATEGORIES = ["Anomalie", "Retour projet", "Demande d'évolution", "Question"]


class Command(BaseCommand):
    help = (
        "Crée (ou remet en état) les données de démonstration : un administrateur ATM, deux "
        "organisations clientes de deux utilisateurs et les catégories. Peut être relancée."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        email, password, first, last = STAFF
        staff, _ = User.objects.update_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": True,
                "is_superuser": True,
                "is_active": True,
                "organisation": None,
            },
        )
        staff.set_password(password)
        staff.save(update_fields=["password"])

        for org_name, members in CLIENTS.items():
            organisation, _ = Organisation.objects.get_or_create(name=org_name)
            for member_email, member_first, member_last in members:
                user, _ = User.objects.update_or_create(
                    email=member_email,
                    defaults={
                        "first_name": member_first,
                        "last_name": member_last,
                        "organisation": organisation,
                        "is_staff": False,
                        "is_superuser": False,
                        "is_active": True,
                    },
                )
                user.set_password(CLIENT_PASSWORD)
                user.save(update_fields=["password"])

        for position, name in enumerate(CATEGORIES, start=1):
            Category.objects.update_or_create(
                name=name, defaults={"position": position * 10, "is_active": True}
            )

        site = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"  Équipe ATM (admin) : {site}/admin/  {email} / {password}")
        for org_name, members in CLIENTS.items():
            for member_email, *_ in members:
                self.stdout.write(
                    f"  Client {org_name:<20} {site}/  {member_email} / {CLIENT_PASSWORD}"
                )
