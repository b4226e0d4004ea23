from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import checks


@require_safe  # GET and HEAD: monitors use either
@never_cache  # Cache-Control: no-store, ...: a proxy must never answer for the checks
def health(request: HttpRequest) -> JsonResponse:
    """For uptime monitors, without an account: 200 while no check fails, 503 otherwise."""
    report = checks.run_all()
    status = 503 if report["status"] == checks.Level.FAIL else 200
    return JsonResponse(report, status=status, json_dumps_params={"ensure_ascii": False})
