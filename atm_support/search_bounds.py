"""How much a search box takes: the portal's list (tickets.search) and every admin changelist
(admin_search.py) share these bounds."""

from __future__ import annotations

from django.utils.translation import gettext

MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 32


def search_too_long(typed: str) -> str | None:
    """Why a staff search box refuses `typed` (more than 200 characters or 32 words), or None.

    The admin's searches are substring searches (`icontains`), which any text suits; only their
    size is bounded: each word is one more condition on every searched column.
    """
    if len(typed) > MAX_SEARCH_LENGTH:
        return gettext(
            "Recherche ignorée : %(count)s caractères ; %(limit)s caractères au plus."
        ) % {
            "count": len(typed),
            "limit": MAX_SEARCH_LENGTH,
        }
    words = len(typed.split())
    if words > MAX_SEARCH_WORDS:
        return gettext("Recherche ignorée : %(count)s mots ; %(limit)s mots au plus.") % {
            "count": words,
            "limit": MAX_SEARCH_WORDS,
        }
    return None
