from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import throttle
from .models import User


class ThrottledEmailBackend(ModelBackend):
    """Email + password, refused outright while the account or the address is throttled.

    Raising PermissionDenied stops every backend and fires `user_login_failed`, so the portal's
    login, the admin's login and any other caller of `authenticate()` are all throttled.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username or kwargs.get("email") or ""
        if request is not None and throttle.retry_after(email, throttle.client_ip(request)):
            raise PermissionDenied("login throttled")
        return super().authenticate(request, username=email, password=password, **kwargs)

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of every request, with the organisation the top bar shows: one
        query instead of two."""
        user = User.objects.select_related("organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
