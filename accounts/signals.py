from __future__ import annotations

from typing import Any

from django.contrib.auth import user_logged_in
from django.contrib.auth.models import update_last_login
from django.http import HttpRequest
from django.utils import timezone

from .models import User


def remember_previous_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Keep the login before this one: Accueil shows it as « dernière connexion »."""
    user.previous_login = user.last_login
    user.last_login = timezone.now()
    user.save(update_fields=["previous_login", "last_login"])


def connect() -> None:
    # Django's own receiver would overwrite last_login before we could keep it.
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_logged_in.connect(remember_previous_login, dispatch_uid="accounts_previous_login")
    # Attempts are counted, and cleared on success, by the authentication backend itself
    # (accounts.backends): before the password is checked, not after.
