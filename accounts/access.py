"""Who may open a page: signed-in client users the portal (staff are sent to the admin), active
staff members the ticket desk and the hours' admin."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

if TYPE_CHECKING:
    from .models import User

View = Callable[..., HttpResponseBase]


def is_staff(request: HttpRequest) -> bool:
    """An active staff member: every one of them works the tickets and the hours in the admin
    (no per-model permission to grant first)."""
    user = request.user
    return bool(user.is_active and user.is_staff)


class StaffReadOnly:
    """An admin (or inline) that every active staff member sees and nobody edits through the
    generic forms: its pages say what they show, its own actions and views do the writing."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def staff_member(request: HttpRequest) -> User:
    """The signed-in staff member, typed: for views only staff reach (the admin's)."""
    return request.user  # type: ignore[return-value]


def client_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_staff or getattr(user, "organisation_id", None) is None:
            return HttpResponseRedirect(reverse("admin:index"))
        return view(request, *args, **kwargs)

    return wrapper
