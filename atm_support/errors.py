"""The portal's answer to an exception no view handled: 503 when a service is down, else 500.

Redis (cache, sessions, attempt counters), PostgreSQL or the attachment storage out of reach is
not a bug of the page: the visitor gets « Service momentanément indisponible » with a
Retry-After, and monitors see a 503 (as /sante/ says).
Django calls this view inside its `except` block, so the exception is `sys.exc_info()`'s.
The pages are rendered without the request: a context processor could read the session, which
lives in the Redis that may be the very thing down.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

OUTAGES: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OperationalError,
    InterfaceError,
)
try:  # only with ATTACHMENTS_S3_BUCKET (django-storages, boto3)
    from botocore.exceptions import ConnectionError as BotoConnectionError

    OUTAGES += (BotoConnectionError,)
except ImportError:  # pragma: no cover - boto3 is a dependency of the project
    pass

RETRY_AFTER = 30  # seconds


def is_outage(exception: BaseException | None) -> bool:
    return isinstance(exception, OUTAGES)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_outage(sys.exc_info()[1]):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return HttpResponse(loader.render_to_string("500.html"), status=500)
