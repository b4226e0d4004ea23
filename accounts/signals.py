from __future__ import annotations

from typing import Any

from django.contrib.auth import user_logged_in, user_login_failed
from django.contrib.auth.models import update_last_login
from django.http import HttpRequest
from django.utils import timezone

from . import throttle
from .models import User


def remember_previous_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Keep the login before this one: Accueil shows it as « dernière connexion »."""
    user.previous_login = user.last_login
    user.last_login = timezone.now()
    user.save(update_fields=["previous_login", "last_login"])


def clear_throttle(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None:
        throttle.record_success(user.email, throttle.client_ip(request))


def count_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = credentials.get("username") or credentials.get("email")
    if request is not None and email:
        throttle.record_failure(str(email), throttle.client_ip(request))


def connect() -> None:
    # Django's own receiver would overwrite last_login before we could keep it.
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_logged_in.connect(remember_previous_login, dispatch_uid="accounts_previous_login")
    user_logged_in.connect(clear_throttle, dispatch_uid="accounts_clear_throttle")
    user_login_failed.connect(count_failure, dispatch_uid="accounts_count_failure")
