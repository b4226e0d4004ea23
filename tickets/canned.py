"""Canned replies (« Réponses types »): texts staff write once and insert into a note, with
placeholders filled for the ticket the note goes to.

A placeholder is a name in braces, `{prénom}`; case and accents do not matter (`{Prenom}` is
`{prénom}`), nor spaces inside the braces, and `{{prénom}}` works too. A name this module does
not know is left as written, to be seen and corrected: filling never fails. The admin's form
refuses a reply that names an unknown one (`unknown_placeholders`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .limits import length_check, limited_text

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Ticket

# Room left in a note (20,000 characters) for the filled values and the resolution's line.
CANNED_MAX = 10_000

# `{{ name }}` first, so that doubled braces are taken whole; `\w` reads accented letters.
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}|\{\s*(\w+)\s*\}")


@dataclass(frozen=True)
class Placeholder:
    name: str  # as staff write it, and as the help text shows it
    description: str | Promise
    value: Callable[[Ticket, User | None], str]


def _client_first_name(ticket: Ticket, author: User | None) -> str:
    # « Bonjour {prénom}, » still reads well when the client gave no first name.
    return ticket.reporter.first_name.strip() or gettext("Madame, Monsieur")


def _client_name(ticket: Ticket, author: User | None) -> str:
    return ticket.reporter.get_full_name() or gettext("Madame, Monsieur")


def _number(ticket: Ticket, author: User | None) -> str:
    return ticket.display_number


def _summary(ticket: Ticket, author: User | None) -> str:
    return str(ticket.summary)


def _organisation(ticket: Ticket, author: User | None) -> str:
    return str(ticket.organisation.name)


def _link(ticket: Ticket, author: User | None) -> str:
    # The portal's page, as in the notification mails: SITE_URL, never the request's host.
    return settings.SITE_URL + ticket.get_absolute_url()


def _technician(ticket: Ticket, author: User | None) -> str:
    if author is None:
        return ""
    return author.first_name.strip() or str(author)


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("prénom", _("le prénom du client qui a signalé le ticket"), _client_first_name),
    Placeholder("nom", _("son prénom et son nom"), _client_name),
    Placeholder("numéro", _("le numéro du ticket (0000123)"), _number),
    Placeholder("résumé", _("le résumé du ticket"), _summary),
    Placeholder("lien", _("le lien du ticket dans le portail"), _link),
    Placeholder("organisation", _("l'organisation du client"), _organisation),
    Placeholder("technicien", _("le prénom du technicien qui écrit la note"), _technician),
)


def _key(name: str) -> str:
    """`Prénom` → `prenom`: how a placeholder's name is compared."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


BY_KEY = {_key(placeholder.name): placeholder for placeholder in PLACEHOLDERS}


def placeholders_help() -> str:
    """The placeholders, one per line « {prénom} : le prénom du client… », for help texts."""
    return "\n".join(f"{{{p.name}}} : {p.description}" for p in PLACEHOLDERS)


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders of `text` that no value fills, as written (`{prenon}`), once each."""
    unknown: list[str] = []
    for found in PLACEHOLDER.finditer(text):
        name = found[1] or found[2]
        if _key(name) not in BY_KEY and found[0] not in unknown:
            unknown.append(found[0])
    return unknown


def fill_placeholders(text: str, *, ticket: Ticket, author: User | None = None) -> str:
    """`text` with its placeholders replaced by this ticket's values; `author` is the
    technician who writes the note ({technicien}). Unknown placeholders stay as written.

    One pass: a value that holds braces (a summary « {test} ») is not read again.
    """
    cache: dict[str, str] = {}

    def replace(found: re.Match[str]) -> str:
        key = _key(found[1] or found[2])
        placeholder = BY_KEY.get(key)
        if placeholder is None:
            return found[0]
        if key not in cache:
            cache[key] = placeholder.value(ticket, author)
        return cache[key]

    return PLACEHOLDER.sub(replace, text)


class CannedReplyQuerySet(models.QuerySet["CannedReply"]):
    def offered(self) -> CannedReplyQuerySet:
        """The active replies, in the staff's order: what the pickers offer."""
        return self.filter(is_active=True).order_by("position", "title", "pk")


class CannedReply(models.Model):
    """A reply staff insert into a note in one click (the ticket page, the bulk actions)."""

    title = models.CharField(_("titre"), max_length=100, unique=True)
    text = limited_text(_("texte"), CANNED_MAX)
    is_active = models.BooleanField(
        _("proposée"),
        default=True,
        help_text=_("Décochée, la réponse n'est plus proposée ; elle reste ici, à reprendre."),
    )
    position = models.PositiveSmallIntegerField(
        _("ordre"), default=0, help_text=_("Les réponses sont proposées dans cet ordre.")
    )

    objects = CannedReplyQuerySet.as_manager()

    class Meta:
        app_label = "tickets"
        ordering = ["position", "title"]
        verbose_name = _("réponse type")
        verbose_name_plural = _("réponses types")
        constraints = [length_check(model="cannedreply", field="text", limit=CANNED_MAX)]

    def __str__(self) -> str:
        return self.title

    def filled(self, *, ticket: Ticket, author: User | None = None) -> str:
        return fill_placeholders(self.text, ticket=ticket, author=author)
