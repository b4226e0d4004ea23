"""The admin's search boxes bounded, for every list that has one.

A changelist search is a substring search: each word of `?q=` becomes one more `icontains`
condition on every searched column (and its join). Two thousand pasted words took minutes on a
near-empty database (the planner, not the rows); a search of more than 200 characters or 32
words (search_bounds.py, the portal's own bounds) is ignored, and the list says
why. A middleware rather than code in each ModelAdmin, so that none is left out (Django's Group
admin, one added later), as atm_support/input_guards.py does for NUL bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.http import HttpRequest, HttpResponse

from .input_guards import ViewGuard
from .search_bounds import search_too_long


class AdminSearchBoundsMiddleware(ViewGuard):
    """Drops an oversized `q` from a ModelAdmin view's query string, with a French message."""

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        # ModelAdmin.get_urls marks its views with `model_admin`; nothing else reads `q` here.
        if getattr(view_func, "model_admin", None) is None or SEARCH_VAR not in request.GET:
            return None
        refusal = search_too_long(request.GET[SEARCH_VAR])
        if refusal is None:
            return None
        messages.error(request, refusal)
        params = request.GET.copy()
        del params[SEARCH_VAR]
        params._mutable = False
        request.GET = params  # type: ignore[assignment]  # immutable again, as Django's is
        return None
