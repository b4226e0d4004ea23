"""Django system checks of how the portal is run (shown by runserver, migrate, check --deploy)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register()  # not tagged staticfiles: collectstatic itself need not hear it
def static_files_collected(**kwargs: Any) -> list[CheckMessage]:
    """Without DEBUG and without collectstatic the portal still starts (the pages link the plain
    files, atm_support/static_storage.py), but production wants them hashed and compressed."""
    if not settings.STATIC_MANIFEST or settings.STATIC_COLLECTED:
        return []
    return [
        Warning(
            f"Static files are not collected: no manifest in {settings.STATIC_ROOT}, so they "
            "are served unhashed and uncompressed from the app directories.",
            hint="Run `python manage.py collectstatic --noinput` (the Docker image does), "
            "or set DEBUG=1 for development.",
            id="health.W001",
        )
    ]
