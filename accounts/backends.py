from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import throttle
from .models import User


class ThrottledEmailBackend(ModelBackend):
    """Email + password, each check counted BEFORE the password is hashed, and refused outright
    (unchecked) once the account or the address is over its limit.

    This is the one place passwords are checked with a request: the portal's and the admin's
    login forms, and « Mon compte » (current password for a password or e-mail change) all call
    `authenticate()`. Raising PermissionDenied stops every backend and fires
    `user_login_failed`; the form learns how long to wait from `throttle.refused_for(request)`.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username or kwargs.get("email") or ""
        # Without a request (a shell, a script) there is no one to hold back.
        if request is not None and not throttle.password_check_allowed(request, email):
            raise PermissionDenied("too many password attempts")
        user = super().authenticate(request, username=email, password=password, **kwargs)
        if request is not None and user is not None:
            throttle.login_succeeded(email, throttle.client_ip(request))
        return user

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of every request, with the organisation the top bar shows: one
        query instead of two."""
        user = User.objects.select_related("organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
