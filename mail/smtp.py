"""One SMTP session per worker process, shared by every outbox, closed when the process ends."""

from __future__ import annotations

import contextlib
import smtplib
import time
from collections.abc import Sequence
from typing import Any

from celery.signals import worker_process_shutdown
from django.core.mail import EmailMessage, mailers

from . import conf
from .rendering import MessageSender


def _stale_connection(error: BaseException) -> bool:
    """Errors a reused SMTP session gives when the server has dropped it meanwhile."""
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError)


class MailSession:
    """One SMTP connection kept open across the mails a worker process sends.

    Saves a TCP handshake, EHLO and QUIT per mail, and lets SENT be committed before the QUIT.
    A session the server dropped while idle is reopened once, on the spot.
    """

    def __init__(self) -> None:
        self._backend: Any = None
        self._last_used = 0.0
        # Connections opened and mails sent so far (tests/mail: every outbox sends through one).
        self.opened = 0
        self.sent = 0

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        reused = self._open()
        try:
            sent = int(self._backend.send_messages(email_messages))
        except Exception as error:
            self.close()
            if not (reused and _stale_connection(error)):
                raise
            self._open()
            try:
                sent = int(self._backend.send_messages(email_messages))
            except Exception:
                self.close()
                raise
        self._last_used = time.monotonic()
        self.sent += sent
        return sent

    def _open(self) -> bool:
        """Open the session if needed; True when an existing one is reused."""
        idle = time.monotonic() - self._last_used
        if self._backend is not None and idle > conf.value("NOTIFICATIONS_SMTP_IDLE"):
            self.close()
        if self._backend is not None:
            return True
        backend = mailers.default
        backend.open()
        self._backend = backend
        self.opened += 1
        return False

    def close(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            with contextlib.suppress(Exception):  # discarded anyway
                backend.close()


# The worker process's session, opened on its first mail, whatever outbox the mail comes from.
session = MailSession()


def connection(*, eager: bool) -> MessageSender | None:
    """What a sending task passes as `connection`: the process's session in a worker; None when
    the task runs in-process (no broker), one connection per mail, nothing left open in a web
    process."""
    return None if eager else session


@worker_process_shutdown.connect
def _close_session(**kwargs: Any) -> None:
    session.close()
