from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext


class UserLanguageMiddleware:
    """Speak the language chosen in « Mon compte »; anonymous visitors get French."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", None) or "fr"
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class AdminReservedForStaffMiddleware:
    """Clients never reach /admin/: a signed-in client is sent back to the portal."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_staff
            and request.path.startswith(reverse("admin:index"))
        ):
            messages.warning(request, gettext("L'administration est réservée à l'équipe ATM."))
            return HttpResponseRedirect(reverse("tickets:home"))
        return self.get_response(request)
