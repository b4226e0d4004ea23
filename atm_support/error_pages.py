"""The portal's own 404/400/500 pages in DEBUG too (`make run`), unless DEBUG_ERROR_PAGES is set.

In DEBUG Django answers a 404, a 400 and a bug with its English technical pages (the URLconf,
the settings, the traceback); 403 already goes to handler403 in every mode. A client trying the
portal on `make run` (a ticket of another organisation, a mistyped address) must see the French
page production shows, so in DEBUG this middleware answers them with the same handlers
(templates/404.html, 400.html, atm_support.errors.server_error). Developers who want Django's
pages back set DEBUG_ERROR_PAGES=1. Without DEBUG Django does all this itself: the middleware
removes itself (MiddlewareNotUsed) and costs nothing.

It is the last middleware, nearest the view, so the others (CSP, security headers,
CommonMiddleware's redirect of a 404 to the address with its slash) treat its pages as any page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core import signals
from django.core.exceptions import (
    BadRequest,
    MiddlewareNotUsed,
    PermissionDenied,
    SuspiciousOperation,
)
from django.core.handlers.exception import get_exception_response
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import get_resolver, get_urlconf
from django.utils.log import log_response


class PortalErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.DEBUG or getattr(settings, "DEBUG_ERROR_PAGES", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No view was found for the address: the 404 is Django's technical page (a view that
        # answers a 404 of its own has a resolver_match, and keeps its answer).
        if response.status_code == 404 and request.resolver_match is None:
            return self._page(request, 404, Http404(request.path))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied | MultiPartParserError):
            return None  # Django answers these with handler403 / handler400 even in DEBUG
        if isinstance(exception, Http404):
            return self._page(request, 404, exception)
        if isinstance(exception, BadRequest | SuspiciousOperation):
            response = self._page(request, 400, exception)
            log_response(
                "%s: %s", str(exception), request.path, response=response, request=request,
                exception=exception,
            )  # fmt: skip
            return response
        # A bug: logged with its traceback and signalled (the test client re-raises it) as
        # Django does, then atm_support.errors.server_error (503 for an outage, else 500.html),
        # which reads the exception from sys.exc_info(): process_exception runs in Django's
        # `except` block.
        signals.got_request_exception.send(sender=None, request=request)
        response = get_resolver(get_urlconf()).resolve_error_handler(500)(request)
        log_response(
            "%s: %s", response.reason_phrase, request.path, response=response, request=request,
            exception=exception, level="error",
        )  # fmt: skip
        return response

    @staticmethod
    def _page(request: HttpRequest, status: int, exception: Exception) -> HttpResponse:
        response = get_exception_response(request, get_resolver(get_urlconf()), status, exception)
        # A TemplateResponse from a custom handler is rendered here, as Django does.
        render = getattr(response, "render", None)
        if not getattr(response, "is_rendered", True) and callable(render):
            response = render()
        return response
