"""One helper renders every e-mail from three templates: subject, text body and HTML body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def render_email(template: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """Render `emails/<template>_subject.txt`, `.txt` and `.html`.

    The subject loses every line break, so nothing a user typed can add a header.
    """
    ctx = {"site_url": settings.SITE_URL, "support_email": settings.SUPPORT_EMAIL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    return subject, text, html


def send_templated_email(
    *,
    template: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    language: str | None = None,
) -> None:
    """Render and send one e-mail through the configured backend (SMTP has EMAIL_TIMEOUT)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject, text, html = render_email(template, context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=list(to))
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
