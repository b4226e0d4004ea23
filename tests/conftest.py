from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.cache import caches
from django.utils import translation

from tests.factories import ClientFactory, OrganisationFactory, StaffFactory

URL_PATTERN = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def links(self) -> list[str]:
        return URL_PATTERN.findall(self.text)


class SMTPSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str) -> list[ReceivedMail]:
        with self._lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} mail(s) to {address} expected, got {len(self.to(address))}")

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (a service down)."""
    return _free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections (the kernel's backlog) and never answers a
    byte (a service hung)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield int(sock.getsockname()[1])
    sock.close()


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[tuple[SMTPSink, int]]:
    sink = SMTPSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def smtp(_smtp_server: tuple[SMTPSink, int], settings: Any) -> SMTPSink:
    """Route Django's mail through real SMTP to a local server, and return its inbox."""
    sink, port = _smtp_server
    sink.clear()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    return sink


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each request activates its user's language (accounts.middleware) and leaves it active in
    the thread, as every request sets its own; a test after an English user's request must not
    parse or render in English (dates typed « 01/02/2025 » read as 2 January)."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _isolated_cache() -> Iterator[None]:
    """The throttle counts and kept pages (Redis in the suite): every test starts from nothing."""
    for alias in settings.CACHES:
        caches[alias].clear()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organisation() -> Any:
    return OrganisationFactory(name="Boulangerie Martin")


@pytest.fixture
def other_organisation() -> Any:
    return OrganisationFactory(name="Cabinet Durand")


@pytest.fixture
def client_user(organisation: Any) -> Any:
    return ClientFactory(email="paul@boulangerie-martin.fr", organisation=organisation)


@pytest.fixture
def staff_user() -> Any:
    return StaffFactory(email="alice@atm-consulting.fr", is_superuser=True)
