from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from accounts.models import Organisation, User
from tickets import counts
from tickets.models import Category, State, Ticket
from tickets.services import ticket_create

PASSWORD = "Motdepasse-Solide-42"


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n}")


class ClientFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"client{n}@example.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Client{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    is_staff = False

    @factory.post_generation
    def password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class StaffFactory(ClientFactory):
    email = factory.Sequence(lambda n: f"tech{n}@atm-consulting.fr")
    organisation = None
    is_staff = True
    first_name = "Tom"


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Iterator(["Anomalie", "Retour projet", "Demande d'évolution", "Question"])
    position = factory.Sequence(lambda n: n)


def make_ticket(
    *, reporter: User, state: str = State.NEW, handler: User | None = None, **fields: Any
) -> Ticket:
    """A ticket created as a client would, then put in `state` directly (for test set-up only)."""
    fields.setdefault("category", CategoryFactory(name="Anomalie"))
    fields.setdefault("summary", "L'imprimante n'imprime plus")
    fields.setdefault("description", "Depuis ce matin, rien ne sort.")
    ticket = ticket_create(reporter=reporter, **fields)
    Ticket.objects.filter(pk=ticket.pk).update(state=state, handler=handler)
    ticket.refresh_from_db()
    # The UPDATE goes past the workflow: « Accueil »'s counters follow it (tickets/counts.py).
    counts.state_moved(ticket, State.NEW)
    return ticket
