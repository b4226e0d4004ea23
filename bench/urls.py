"""The project's URLs plus /bench/ceiling/, the reference every page is measured against."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from atm_support.urls import urlpatterns as project_urlpatterns
from tickets.models import Counter


def ceiling(request: HttpRequest) -> HttpResponse:
    """A bare view through the whole middleware stack: one tiny query, a small response.

    Requested without a session cookie, it costs exactly one query (the session is never loaded),
    so it measures what the server, the middleware and one database round trip cost per request.
    """
    value = Counter.objects.filter(name="ticket").values_list("value", flat=True).first()
    return HttpResponse(f"ceiling {value}\n", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/ceiling/", ceiling, name="bench_ceiling"),
    *project_urlpatterns,
]
