"""One helper renders every e-mail from three templates: subject, text body and HTML body.

Used by every outbox (mail.sending) and by the mails sent at once from a request (invitations,
e-mail changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

# A file joined to a mail: (filename, content, MIME type), as EmailMessage.attach takes it.
Attachment = tuple[str, bytes, str]


class MessageSender(Protocol):
    """A mail backend, or anything that sends like one (mail.smtp.MailSession)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int: ...


def render_email(template: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """Render `emails/<template>_subject.txt`, `.txt` and `.html`.

    The subject loses every line break, so nothing a user typed can add a header.
    """
    ctx = {"site_url": settings.SITE_URL, "support_email": settings.SUPPORT_EMAIL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    return subject, text, html


def build_templated_email(
    *,
    template: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    language: str | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMultiAlternatives:
    """The rendered message, in `language` (French by default), ready to send, with its files."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject, text, html = render_email(template, context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=list(to), headers=dict(headers or {})
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def send_templated_email(
    *,
    template: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    language: str | None = None,
    headers: Mapping[str, str] | None = None,
    connection: MessageSender | None = None,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Render and send one e-mail through the configured backend (SMTP has EMAIL_TIMEOUT).

    `connection` lets a caller that sends many (a Celery worker) keep one SMTP session open.
    """
    message = build_templated_email(
        template=template,
        to=to,
        context=context,
        language=language,
        headers=headers,
        attachments=attachments,
    )
    if connection is None:
        message.send(fail_silently=False)
    else:
        connection.send_messages([message])
