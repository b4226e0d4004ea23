from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.mail.dovecot import DOVECOT, Dovecot, DovecotError


def _running(*, tls: bool = False) -> Iterator[Dovecot]:
    if not os.access(DOVECOT, os.X_OK):
        pytest.fail(
            f"{DOVECOT} is missing: run `make test`, which installs the Debian package "
            "dovecot-imapd (or apt-get install dovecot-imapd)."
        )
    server = Dovecot(tls=tls)
    try:
        server.start()
    except DovecotError as error:
        server.stop()
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One real Dovecot for the session (tests/mail/dovecot.py), stopped at the end even when a
    test fails. Missing Dovecot is a failure, not a skip: `make test` installs it."""
    yield from _running()


@pytest.fixture
def mailbox_url(dovecot: Dovecot) -> str:
    """The support mailbox's URL, every folder emptied first: tests do not see each other's mail."""
    dovecot.empty()
    return dovecot.url


@pytest.fixture
def own_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of the test's own, for a test that fails a login: Dovecot then delays the next
    logins from that address by seconds (its anvil penalty), which would slow every test after."""
    yield from _running()


@pytest.fixture(scope="module")
def tls_dovecot() -> Iterator[Dovecot]:
    """A Dovecot with TLS: STARTTLS on .port, implicit TLS on .imaps_port, its self-signed
    certificate in .certificate (trust it with SSL_CERT_FILE)."""
    yield from _running(tls=True)
