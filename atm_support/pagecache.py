"""The rendered HTML of the client pages, kept until something they show changes.

Accueil, Mon affichage, the list and the ticket page show an organisation's tickets, notes, files,
history and hours. Their main part (never the top bar, the messages or a form with its CSRF token)
is rendered once and kept in the shared cache under a key that holds:

- the organisation's **generation**, a number changed by every write that can alter what its pages
  show (a ticket, note, file, history line, ledger entry, allowance revision, one of its users),
  and a global generation changed by writes every organisation sees (a category, a staff member);
- the viewer (« Rapportés par moi », the previous login, private notes for staff), the language,
  the day (nothing shown may depend on a date without being in the key) and the page's own
  parameters (the ticket; for the list, the query string parameters it reads, see below).

A page reading query string parameters declares them (`normalised_query`): the key holds each in
one spelling, its default left out, and nothing else, and the page is rendered from that same
normalised query. An unknown parameter (`?utm_source=…`), `?page=1` or `?state=b&state=a` then
make no entry of their own: with the raw query string in the key, 200 requests with junk
parameters kept 400 entries (about 6 MB, for 10 minutes). A value the page refuses (a date that
is not one, a category that does not exist, a page past the end) is shown with its error as
typed, and that page is not kept (`not_kept`): refused values never fill the cache either. An
entry larger than `MAX_ENTRY_CHARS` is not kept. The cache has its own Redis instance, bounded by
`maxmemory` with LRU eviction (docker-compose.yml `cache`), so that eviction never drops a
Celery message.

A write changes the generation twice: at once, so the same transaction and request never read
their own stale page, and again after COMMIT, so a page rendered by a concurrent request from the
data before the COMMIT is never served afterwards. Row writes are caught by the model signals:
each app declares, in its AppConfig.ready, which of its models its pages show (`shown_in`,
`shown_everywhere`, `shown_by` below: accounts, tickets and allowances do). The few bulk writes
that bypass signals say so through their own app's events (the month end's closing of tickets:
tickets.events.tickets_bulk_changed) or call `invalidate()` themselves (a restore, the demo).

A generation is a random start value, so a generation key lost by the cache (eviction, restart)
can never come back to an old value and its stale pages. `PAGE_CACHE_TIMEOUT` bounds what a write
outside the application (a manual SQL fix) could leave.

The cache must be shared by every process that writes (web, Celery worker, commands): the page
cache is on when the cache is Redis (`CACHE_URL`, by default `REDIS_URL`), off otherwise
(`PAGE_CACHE`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict


class Viewer(Protocol):
    """Who a page is rendered for: a user of an organisation (None: staff)."""

    pk: Any
    organisation_id: int | None


ALL = "all"  # the generation of what every organisation sees
PREFIX = "pagecache:v1"

# Larger pages are rendered each time: a ticket with hundreds of notes must not push dozens of
# ordinary pages out of the cache's memory. A list page of 50 tickets is about 60,000 characters.
MAX_ENTRY_CHARS = 512 * 1024


def enabled() -> bool:
    return bool(getattr(settings, "PAGE_CACHE", False))


def _generation_key(scope: int | str) -> str:
    return f"{PREFIX}:gen:{scope}"


def _new_generation() -> int:
    return secrets.randbits(62)


def _bump(scopes: Iterable[int | str]) -> None:
    for scope in set(scopes):
        key = _generation_key(scope)
        try:
            cache.incr(key)
        except ValueError:  # no such key: any new value is a new generation
            cache.set(key, _new_generation(), timeout=None)


def invalidate(*organisation_ids: int | None, everyone: bool = False) -> None:
    """What these organisations' pages show (every organisation's with `everyone`) changed.

    Done even where this process does not serve kept pages (PAGE_CACHE off for a worker or a
    command by mistake): a web process that does must still see the change."""
    scopes: list[int | str] = [pk for pk in organisation_ids if pk is not None]
    if everyone:
        scopes.append(ALL)
    if not scopes:
        return
    _bump(scopes)
    transaction.on_commit(lambda: _bump(scopes))


def page_key(page: str, user: Viewer, *parts: object) -> str:
    """The key of a page for this viewer, language, day and parameters (`parts`)."""
    detail = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    language = translation.get_language() or ""
    day = timezone.localdate().isoformat()
    return f"{PREFIX}:{page}:{user.pk}:{language}:{day}:{detail}"


def _lookup(user: Viewer, key: str) -> tuple[str, Any]:
    """The current generations of the viewer's organisation and of everyone, and what `key`
    holds if it was stored under them: one round trip to the cache."""
    generation_keys = [_generation_key(user.organisation_id or 0), _generation_key(ALL)]
    found = cache.get_many([*generation_keys, key])
    for generation_key in generation_keys:
        if generation_key not in found:
            cache.add(generation_key, _new_generation(), timeout=None)
            found[generation_key] = cache.get(generation_key)
    generation = ".".join(str(found[k]) for k in generation_keys)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return generation, entry[1]
    return generation, None


def _size(value: Any) -> int:
    """The characters of the text in a kept value (a string, or containers of strings)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(_size(item) for item in value.values())
    if isinstance(value, list | tuple):
        return sum(_size(item) for item in value)
    return 0


def _store(key: str, generation: str, value: Any) -> None:
    """Stored with the generations read BEFORE rendering: if a write changed them meanwhile, the
    entry is already obsolete, never served."""
    if _size(value) > MAX_ENTRY_CHARS:
        return
    cache.set(key, (generation, value), timeout=settings.PAGE_CACHE_TIMEOUT)


@dataclass
class _Rendering:
    """One render in progress; a part rendered inside a page is a child of the page's."""

    parent: _Rendering | None
    kept: bool = True


_rendering: ContextVar[_Rendering | None] = ContextVar("pagecache_rendering", default=None)


def not_kept() -> None:
    """What is being rendered must not be kept, nor the page around it: it shows a value the page
    refused (each refused value would otherwise be an entry of its own)."""
    rendering = _rendering.get()
    while rendering is not None:
        rendering.kept = False
        rendering = rendering.parent


def _render(render: Callable[[], Any]) -> tuple[Any, bool]:
    """`render()`'s value, and whether it may be kept."""
    rendering = _Rendering(parent=_rendering.get())
    token = _rendering.set(rendering)
    try:
        value = render()
    finally:
        _rendering.reset(token)
    return value, rendering.kept


def cached(page: str, user: Viewer, parts: Iterable[object], render: Callable[[], Any]) -> Any:
    """`render()`'s value, kept for this page, viewer and parameters until a write changes it.

    `render` must return only what any request of this viewer would get: no CSRF token, no
    message, nothing from the session; and be determined by `parts`: a page reading query
    parameters renders from its `normalised_query`, and calls `not_kept()` for a refused one."""
    if not enabled():
        return render()
    key = page_key(page, user, *parts)
    generation, value = _lookup(user, key)
    if value is None:
        value, kept = _render(render)
        if kept:
            _store(key, generation, value)
    return value


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def page_response(
    request: HttpRequest,
    page: str,
    parts: Iterable[object],
    render_page: Callable[[dict[str, Any]], HttpResponse],
) -> HttpResponse:
    """The whole page, kept as `cached` keeps a part, with its CSRF token punched out.

    `render_page(extra)` renders the page with `extra` added to its context. The page is kept
    with a random placeholder in place of the CSRF token, replaced by this request's (masked)
    token when served. A request with messages to show, or not a GET, is rendered afresh."""
    user: Viewer = request.user  # type: ignore[assignment]
    if not enabled() or request.method != "GET" or _has_messages(request):
        return render_page({})
    parts = list(parts)
    key = page_key(f"page:{page}", user, *parts)
    generation, entry = _lookup(user, key)
    if entry is not None:
        placeholder, html = entry
        return HttpResponse(html.replace(placeholder, get_token(request)))
    placeholder = secrets.token_hex(24)  # never guessable from what a user types
    response, kept = _render(lambda: render_page({"csrf_token": placeholder}))
    if response.status_code != 200 or response.streaming:
        return response
    html = response.content.decode()
    if kept:
        _store(key, generation, (placeholder, html))
    response.content = html.replace(placeholder, get_token(request)).encode()
    return response


# --- The query parameters a page reads ------------------------------------------------------

Normaliser = Callable[[QueryDict, str], list[str]]
"""A parameter's values in the one spelling the key holds, [] for its default. A value it cannot
read is given back as typed: the page shows it with its error, and calls `not_kept()`."""


def spelling(value: object) -> list[str]:
    """A cleaned form value as query values: sorted lists, ISO dates, `on` for a checked box."""
    if value is None or value is False or value == "" or value == []:
        return []
    if value is True:
        return ["on"]
    if isinstance(value, list | tuple | set | frozenset):
        return sorted({item for entry in value for item in spelling(entry)})
    if isinstance(value, date):
        return [value.isoformat()]
    return [str(value)]


def form_field(field: forms.Field, *, default: object = None) -> Normaliser:
    """A form field's parameter, read by its widget and cleaned by the field as the form does."""

    def normalise(params: QueryDict, name: str) -> list[str]:
        typed = field.widget.value_from_datadict(params, MultiValueDict(), name)
        try:
            value = field.clean(typed)
        except ValidationError:
            return params.getlist(name)
        return [] if default is not None and value == default else spelling(value)

    return normalise


def as_typed(field: forms.Field) -> Normaliser:
    """A choice whose choices the form reads per request (the categories, the colleagues): a
    value is valid only as one choice's exact spelling, so it is kept as typed; the form refuses
    the others when the page is rendered."""

    def normalise(params: QueryDict, name: str) -> list[str]:
        typed = field.widget.value_from_datadict(params, MultiValueDict(), name)
        if typed is None or typed == "" or typed == []:
            return []
        return [str(item) for item in typed] if isinstance(typed, list) else [str(typed)]

    return normalise


def form_parameters(
    form_class: type[forms.Form],
    *,
    per_request: Collection[str] = (),
    defaults: Mapping[str, object] | None = None,
) -> dict[str, Normaliser]:
    """Every field of a GET form as a parameter: a field added to the form is in the key at once
    (a field missing from the key would serve one filter's page for another)."""
    defaults = defaults or {}
    fields = form_class.base_fields
    unknown = (set(per_request) | set(defaults)) - set(fields)
    assert not unknown, f"{form_class.__name__} has no field {sorted(unknown)}"
    return {
        name: as_typed(field)
        if name in per_request
        else form_field(field, default=defaults.get(name))
        for name, field in fields.items()
    }


def normalised_query(params: QueryDict, parameters: Mapping[str, Normaliser]) -> QueryDict:
    """The parameters a page reads, each in one spelling, defaults and unknown names left out, in
    a fixed order: its `urlencode()` is the page's key, and the page is rendered from it."""
    query = QueryDict(mutable=True)
    for name in sorted(parameters):
        values = parameters[name](params, name)
        if values:
            query.setlist(name, values)
    query._mutable = False  # as request.GET: views copy it to change it
    return query


# --- Writes that change pages ---------------------------------------------------------------


def organisation_of(instance: Model) -> int | None:
    """The organisation whose pages show `instance`: its own `organisation_id`, or its ticket's
    (a note, file or history line); None when it has neither."""
    organisation_id = getattr(instance, "organisation_id", None)
    if organisation_id is not None:
        return int(organisation_id)
    try:
        ticket = getattr(instance, "ticket", None)
    except ObjectDoesNotExist:
        return None  # deleted with its ticket, whose own signal tells the organisation
    return None if ticket is None else int(ticket.organisation_id)


def shown_by(model: type[Model], changed: Callable[..., None]) -> None:
    """Every save and delete of `model` calls `changed(sender, instance, **signal kwargs)`, which
    says whose pages changed with `invalidate`."""
    for signal in (post_save, post_delete):
        # Held strongly: `shown_in` and `shown_everywhere` pass functions made on the spot.
        signal.connect(
            changed, sender=model, weak=False, dispatch_uid=f"pagecache.{model._meta.label_lower}"
        )


def shown_in(
    model: type[Model], organisation: Callable[[Model], int | None] = organisation_of
) -> None:
    """A write of `model` changes the pages of one organisation: `organisation(instance)`."""

    def changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
        invalidate(organisation(instance))

    shown_by(model, changed)


def shown_everywhere(model: type[Model]) -> None:
    """A write of `model` changes every organisation's pages (a category, say)."""

    def changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
        invalidate(everyone=True)

    shown_by(model, changed)
