"""Request bodies capped before anything reads them; signed-in pages kept out of shared caches.

Django's own limits do not bound a request: DATA_UPLOAD_MAX_MEMORY_SIZE counts form fields only,
and the file parts of a multipart body are streamed to temporary files whatever their size. So
the first thing that reads `request.POST` (CsrfViewMiddleware, for any POST, even anonymous)
would read a 200 MB body whole. `RequestLimitsMiddleware` answers 413 from the Content-Length
header alone, before any middleware or view can touch the body:

- MAX_REQUEST_BODY for every URL;
- MAX_UPLOAD_REQUEST_BODY, files and fields together, for the views marked `@accepts_uploads`
  (the forms that take attachments). The view is found by resolving the path, and only for a
  body larger than MAX_REQUEST_BODY: small requests cost one integer comparison.

A body without Content-Length (Transfer-Encoding: chunked) gets 411. Django 6.1 never reads such
a body under WSGI (WSGIRequest wraps wsgi.input in a LimitedStream of Content-Length bytes, 0
here, and MultiPartParser returns an empty form for a length of 0): it would be dropped silently,
the form shown empty or refused as if nothing had been typed. And since Django reads at most
Content-Length bytes, a body cannot be read past its cap once its Content-Length has passed the
check above: no wrapper around wsgi.input is needed for WSGI. (Under ASGI, Django reads the
whole body before any middleware runs: the cap would have to be the ASGI server's.)

The 413 page cannot keep what the user typed: nothing of the body was read, the text fields
included. Most browsers keep the text when going back; the page says so. (A browser that has not
finished sending may even show a connection error instead of the page.) The forms' own rule on
their files (« 50 Mo au plus par envoi », tickets/attachments.py) does keep the text: the upload
cap leaves room above it (52.5 MiB by default), so files a little over their limit get the
form's answer, and only a body far beyond gets this one.

On the way out, every response to a signed-in user gets `Cache-Control: private, no-store`
(they already vary on Cookie): no proxy nor browser cache keeps a page, a ticket or a file of a
client after they leave, including the pages served from the page cache (atm_support/pagecache.py),
which come out through here like any other. Static files never get here (WhiteNoise answers
them before, with its own caching), and anonymous pages keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.urls import Resolver404, get_resolver
from django.utils import translation
from django.utils.cache import patch_cache_control

UPLOADS_ATTRIBUTE = "accepts_uploads"
MEBIBYTE = 1024 * 1024


def accepts_uploads[ViewT: Callable[..., object]](view: ViewT) -> ViewT:
    """Mark a view whose requests may carry MAX_UPLOAD_REQUEST_BODY bytes (files and fields).

    Put it outermost, on what the URL pattern points to; `functools.wraps` (Django's decorators,
    the admin's own wrapping of its views) copies the mark to the wrappers around it.
    """
    setattr(view, UPLOADS_ATTRIBUTE, True)
    return view


def body_cap(request: HttpRequest) -> int:
    """The largest body, in bytes, that this request's view accepts."""
    urlconf = getattr(request, "urlconf", None)
    try:
        match = get_resolver(urlconf).resolve(request.path_info)
    except Resolver404:
        return int(settings.MAX_REQUEST_BODY)
    if getattr(match.func, UPLOADS_ATTRIBUTE, False):
        return int(settings.MAX_UPLOAD_REQUEST_BODY)
    return int(settings.MAX_REQUEST_BODY)


def _megabytes(size: int) -> str:
    """2621440 → « 2,5 », 52428800 → « 50 »: the limit as the page says it."""
    return f"{size / MEBIBYTE:.1f}".removesuffix(".0").replace(".", ",")


def _refusal(template: str, status: int, context: dict[str, object]) -> HttpResponse:
    # Before the user is known (UserLanguageMiddleware comes later): in the anonymous pages'
    # language, not in whatever language this thread's previous request left active.
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, context)
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    return response


class RequestLimitsMiddleware:
    """Place it before anything that may read the body (SessionMiddleware, CSRF, the views)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        refusal = self.refusal(request)
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        user = getattr(request, "user", None)  # absent if a middleware answered before auth
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def refusal(request: HttpRequest) -> HttpResponse | None:
        raw_length = request.META.get("CONTENT_LENGTH")
        if not raw_length:
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                return _refusal("411.html", 411, {})
            return None
        try:
            length = int(raw_length)
        except ValueError:
            return None  # Django reads nothing of a body whose length it cannot parse
        if length <= settings.MAX_REQUEST_BODY:
            return None
        cap = body_cap(request)
        if length <= cap:
            return None
        return _refusal(
            "413.html",
            413,
            {"max_size": _megabytes(cap), "uploads": cap > settings.MAX_REQUEST_BODY},
        )
