from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.utils import timezone

from accounts.invitations import InviteRefused, invitation_send, invite_client
from accounts.models import Organisation


class Command(BaseCommand):
    help = (
        "Invite un utilisateur client : crée le compte si besoin, envoie l'e-mail d'invitation "
        "et affiche le lien. Une nouvelle invitation annule la précédente."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="adresse e-mail de l'utilisateur")
        parser.add_argument(
            "--organisation", required=True, help="nom exact de l'organisation cliente"
        )
        parser.add_argument(
            "--create-organisation",
            action="store_true",
            help="créer l'organisation si elle n'existe pas encore",
        )
        parser.add_argument("--first-name", default="", help="prénom")
        parser.add_argument("--last-name", default="", help="nom")
        parser.add_argument(
            "--no-email", action="store_true", help="ne pas envoyer l'e-mail, afficher le lien"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Adresse e-mail invalide : {email!r}") from exc
        name = options["organisation"].strip()
        organisation = Organisation.objects.filter(name__iexact=name).first()
        if organisation is None:
            if not options["create_organisation"]:
                known = ", ".join(Organisation.objects.values_list("name", flat=True)) or "aucune"
                raise CommandError(
                    f"Organisation « {name} » introuvable (existantes : {known}). "
                    "Ajoutez --create-organisation pour la créer."
                )
            organisation = Organisation.objects.create(name=name)
            self.stdout.write(f"Organisation « {organisation} » créée.")
        try:
            issued = invite_client(
                email=email,
                organisation=organisation,
                first_name=options["first_name"],
                last_name=options["last_name"],
                send=False,
            )
        except InviteRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        user = issued.invitation.user
        if not options["no_email"]:
            try:
                invitation_send(issued=issued)
            except OSError as error:
                self.stderr.write(f"L'e-mail n'a pas pu partir ({error}) ; transmettez le lien.")
            else:
                self.stdout.write(self.style.SUCCESS(f"Invitation envoyée à {user.email}."))
        expires = timezone.localtime(issued.invitation.expires_at).strftime("%d/%m/%Y %H:%M")
        self.stdout.write(f"Lien (valable jusqu'au {expires}) : {issued.url}")
