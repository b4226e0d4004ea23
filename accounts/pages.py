"""What the accounts' writes change on the client pages kept by the page cache (atm_support/
pagecache.py): declared by AccountsConfig.ready."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from atm_support import pagecache

from .models import Organisation, User

# Users' columns whose change no page of another user shows (a staff member's login).
LOGIN_FIELDS = frozenset({"last_login", "previous_login", "password"})


def _organisation(organisation: Model) -> int | None:
    return organisation.pk


def _user_changed(sender: type[Model], instance: User, **kwargs: Any) -> None:
    if instance.organisation_id is not None:
        pagecache.invalidate(instance.organisation_id)  # the reporter's name, the previous login
        return
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= LOGIN_FIELDS:
        return  # a staff member logging in: no page shows it
    pagecache.invalidate(everyone=True)  # a handler's name, on any organisation's pages


def declare() -> None:
    pagecache.shown_in(Organisation, _organisation)
    pagecache.shown_by(User, _user_changed)
