from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    return {"support_email": settings.SUPPORT_EMAIL, "site_url": settings.SITE_URL}
