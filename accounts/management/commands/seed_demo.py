from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image, ImageDraw

from accounts.models import Organisation, User
from notifications.outbox import muted
from tickets.attachments import attachments_store
from tickets.models import Category, Impact, Priority, Reproducibility, State, Ticket
from tickets.services import ticket_create
from tickets.workflow import note_add, ticket_assign, ticket_change_state

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

        with muted():  # demo history is not news: nobody is mailed about it
            created = self.seed_tickets(staff)

        site = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        if created:
            self.stdout.write(f"  {created} tickets de démonstration créés, dans chaque état.")
        self.stdout.write(f"  Équipe ATM (admin) : {site}/admin/  {email} / {password}")
        for org_name, members in CLIENTS.items():
            for member_email, *_ in members:
                self.stdout.write(
                    f"  Client {org_name:<20} {site}/  {member_email} / {CLIENT_PASSWORD}"
                )

    def seed_tickets(self, staff: User) -> int:
        """Tickets in every state, with notes (one private), a screenshot and history, made
        through the real workflow.

        Only for an organisation without tickets: a second run adds nothing.
        """
        anomaly = Category.objects.get(name="Anomalie")
        question = Category.objects.get(name="Question")
        created = 0
        for org_name, members in CLIENTS.items():
            organisation = Organisation.objects.get(name=org_name)
            if Ticket.objects.filter(organisation=organisation).exists():
                continue
            reporter = User.objects.get(email=members[0][0])
            colleague = User.objects.get(email=members[1][0])
            plans = DEMO_TICKETS if org_name == "Boulangerie Martin" else DEMO_TICKETS[:3]
            for summary, target, who in plans:
                author = reporter if who == 0 else colleague
                ticket = ticket_create(
                    reporter=author,
                    category=anomaly if "?" not in summary else question,
                    summary=summary,
                    description=f"{summary}.\nConstaté ce matin sur le poste de l'accueil.",
                    reproducibility=Reproducibility.ALWAYS,
                    impact=Impact.MAJOR if target in (State.NEW, State.FEEDBACK) else Impact.MINOR,
                    priority=Priority.HIGH if target == State.NEW else Priority.NORMAL,
                    steps_to_reproduce="1. Ouvrir le module\n2. Valider",
                )
                created += 1
                self.advance(ticket, target, staff, author)
        return created

    def advance(self, ticket: Ticket, target: str, staff: User, client: User) -> None:
        if target == State.NEW:
            return
        ticket_change_state(ticket=ticket, to=State.ACKNOWLEDGED, by=staff)
        if target == State.ACKNOWLEDGED:
            return
        ticket_assign(ticket=ticket, handler=staff, by=staff)
        note_add(ticket=ticket, author=staff, text="Je prends en charge.", minutes_spent=15)
        note_add(
            ticket=ticket,
            author=staff,
            text="Piste interne : le paramétrage a changé à la dernière mise à jour.",
            is_private=True,
            minutes_spent=10,
            is_billable=False,
        )
        if target == State.ASSIGNED:
            return
        note_add(ticket=ticket, author=staff, text="Pouvez-vous nous envoyer une capture d'écran ?")
        ticket_change_state(ticket=ticket, to=State.FEEDBACK, by=staff)
        if target == State.FEEDBACK:
            return
        answer = note_add(ticket=ticket, author=client, text="La voici, merci.")
        attachments_store(ticket=ticket, note=answer, files=[demo_screenshot()], by=client)
        note_add(ticket=ticket, author=staff, text="Corrigé en version 3.2.", minutes_spent=40)
        ticket_change_state(ticket=ticket, to=State.RESOLVED, by=staff)
        if target == State.RESOLVED:
            return
        ticket_change_state(ticket=ticket, to=State.CLOSED, by=None)


def demo_screenshot() -> SimpleUploadedFile:
    """A small PNG drawn here: the demo shows a thumbnail without shipping a binary file."""
    image = Image.new("RGB", (480, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 479, 36), fill=(64, 112, 144))
    draw.rectangle((40, 90, 440, 150), outline=(200, 30, 30), width=4)
    draw.text((60, 112), "Erreur 500 : commande fournisseur", fill=(200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("capture-erreur.png", buffer.getvalue(), content_type="image/png")


DEMO_TICKETS = [
    ("L'impression des factures ne fonctionne plus", State.NEW, 0),
    ("Le stock affiché est faux après un inventaire", State.ACKNOWLEDGED, 1),
    ("Export comptable : le journal des ventes est vide", State.ASSIGNED, 0),
    ("Erreur 500 en validant une commande fournisseur", State.FEEDBACK, 1),
    ("Les remises ne s'appliquent pas aux devis", State.RESOLVED, 0),
    ("Comment ajouter un utilisateur ?", State.CLOSED, 1),
]
