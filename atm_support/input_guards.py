"""Crafted input refused before a view passes it to the database, for the whole site.

- A NUL byte: PostgreSQL refuses it in every string, so a view that passes one to a query ends
  in a 500. In the path, anywhere: 400. In a parameter or form field of the admin (whose
  autocomplete, list filters and login read parameters without a form's validation): 400, but
  for a changelist's search box, which Django's own form answers by the box. The
  portal reads every parameter through a form, whose fields refuse it themselves
  (ProhibitNullCharactersValidator on every CharField) next to the field, with everything else
  typed kept: that answer is better than a 400 page, so the portal gets it.
- In the admin, a selected id (`_selected_action`) that is not a value of the model's primary
  key: ModelAdmin.response_action filters `pk__in=[...]` with it, which raises. The list comes
  back with « Sélection invalide », as Django does when nothing is selected.

Both are middlewares rather than per-view or per-ModelAdmin code so that no view or admin
(Django's Group admin, one added later) can be left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.text import Truncator
from django.utils.translation import gettext

NUL = "\x00"

Middleware = Callable[[HttpRequest], HttpResponse]


def _has_nul(pairs: Iterable[tuple[str, list[Any]]]) -> bool:
    return any(
        NUL in key or any(isinstance(value, str) and NUL in value for value in values)
        for key, values in pairs
    )


def carries_nul(request: HttpRequest) -> bool:
    """Whether the path, or in the admin a query parameter or a form field (name or value), has
    a NUL byte."""
    if NUL in request.path_info:
        return True
    match = request.resolver_match
    if match is None or "admin" not in match.namespaces:
        return False
    # A changelist's search (`q`) is the exception: Django's ChangeListSearchForm refuses a NUL
    # itself, with its French message by the box (every search answers 200).
    search = match.url_name and match.url_name.endswith("_changelist")
    if _has_nul((k, v) for k, v in request.GET.lists() if not (search and k == SEARCH_VAR)):
        return True
    if request.method != "POST":
        return False
    # CsrfViewMiddleware has parsed the body already (it reads csrfmiddlewaretoken from it).
    # Uploaded file names need nothing: Django drops their non-printable characters.
    return _has_nul(request.POST.lists())


class ViewGuard:
    """A middleware that acts in process_view only: once the view is known (the admin's views
    carry `model_admin`, the resolver match says the namespace), before it runs."""

    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


class RejectNulBytesMiddleware(ViewGuard):
    """400 for a request that carries a NUL byte anywhere a view could read it as text.

    In process_view, after CsrfViewMiddleware's: a forged POST is refused by CSRF first, and the
    body limits of the middlewares before it apply to the body read here.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if not carries_nul(request):
            return None
        return render(
            request,
            "400.html",
            {
                "reason": gettext(
                    "Elle contient un caractère nul (U+0000), qu'aucun champ n'accepte."
                )
            },
            status=400,
        )


class AdminSelectionMiddleware(ViewGuard):
    """An admin action on ids that are not keys of the list's model: back to the list, with
    an error, and nothing changed.

    The views of a ModelAdmin carry it as `model_admin` (django.contrib.admin.options
    ModelAdmin.get_urls), which tells which primary key the ids must fit; the change form's own
    action button is checked by Django already (BadRequest unless the id is the object's).
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        model_admin = getattr(view_func, "model_admin", None)
        if model_admin is None or request.method != "POST":
            return None
        # Someone the admin would send to its login page gets there: nothing to tell them here.
        if not model_admin.admin_site.has_permission(request):
            return None
        pk = model_admin.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                pk.to_python(value)
            except ValidationError:
                messages.error(
                    request,
                    gettext(
                        "Sélection invalide : « %(value)s » n'est pas un identifiant valable. "
                        "Aucune modification n'a été faite."
                    )
                    % {"value": Truncator(value).chars(40)},
                )
                return HttpResponseRedirect(request.get_full_path())
        return None
