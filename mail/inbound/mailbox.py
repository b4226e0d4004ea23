"""The support mailbox, read over IMAP: list, fetch and file away the messages of one folder.

A message is never deleted: a handled one is moved to PROCESSED, one that could not be handled to
FAILED, where staff can look at it. Every connection, login or protocol problem is a MailboxError.
"""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import imapclient
from imapclient.exceptions import IMAPClientError

PROCESSED = "Traités"
FAILED = "Erreurs"

SECURITIES = ("ssl", "starttls", "plain")

DEFAULT_PORTS = {"imaps": 993, "imap": 143}

# What a failed IMAP exchange can raise: imapclient's errors (imaplib's error and abort included)
# and OSError (refused, reset, timeout, and ssl.SSLError).
_ERRORS = (IMAPClientError, OSError)


class MailboxError(Exception):
    """The mailbox could not be reached or did not answer as expected."""


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    username: str
    password: str
    folder: str
    security: str  # one of SECURITIES: "ssl" (implicit TLS), "starttls" or "plain"

    def __post_init__(self) -> None:
        if self.security not in SECURITIES:
            raise ValueError(
                f"mailbox security {self.security!r}: expected one of {', '.join(SECURITIES)}"
            )

    @classmethod
    def from_url(cls, url: str) -> MailboxConfig:
        """imaps://user:password@host:993/INBOX (TLS), imap://user:password@host:143/INBOX
        (STARTTLS, required), imap://...?tls=off (plain IMAP, to a loopback address only).

        User and password are percent-decoded; the folder defaults to INBOX.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError(
                f"mailbox URL: unknown scheme {parts.scheme!r}, expected imaps:// or imap://"
            )
        host = parts.hostname
        if not host:
            raise ValueError("mailbox URL: no host")
        if parts.username is None or parts.password is None:
            raise ValueError(
                "mailbox URL: user and password are required (imaps://user:password@host/INBOX)"
            )
        port = (
            parts.port or DEFAULT_PORTS[scheme]
        )  # parts.port raises ValueError when out of range.
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(query) - {"tls"}
        if unknown:
            raise ValueError(f"mailbox URL: unknown parameter(s) {', '.join(sorted(unknown))}")
        tls = query.get("tls", ["on"])[-1].lower()
        if tls not in ("on", "off"):
            raise ValueError(f"mailbox URL: tls={tls} not understood, expected tls=off or nothing")
        if scheme == "imaps":
            if tls == "off":
                raise ValueError(
                    "mailbox URL: imaps:// is TLS; for plain IMAP use imap://...?tls=off"
                )
            security = "ssl"
        elif tls == "off":
            if not _is_loopback(host):
                raise ValueError(
                    "mailbox URL: plain IMAP (tls=off) sends the password in clear and is allowed "
                    f"to a loopback address only (127.0.0.1, ::1, localhost), not to {host}; "
                    "use imaps:// or imap:// (STARTTLS)"
                )
            security = "plain"
        else:
            security = "starttls"
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(
            host=host,
            port=port,
            username=unquote(parts.username),
            password=unquote(parts.password),
            folder=folder,
            security=security,
        )


class Mailbox:
    """One IMAP session on the configured folder, selected read-write:

    with Mailbox(url) as mailbox:
        for uid in mailbox.uids(limit=50):
            raw = mailbox.fetch(uid)
            ...
            mailbox.move(uid, PROCESSED)
    """

    def __init__(self, config: MailboxConfig | str, *, timeout: float = 30) -> None:
        self.config = MailboxConfig.from_url(config) if isinstance(config, str) else config
        self.timeout = timeout
        self._client: Any = None

    def __repr__(self) -> str:
        c = self.config
        return f"<Mailbox {c.security} {c.username}@{c.host}:{c.port}/{c.folder}>"

    def _fail(self, doing: str, error: BaseException) -> MailboxError:
        c = self.config
        return MailboxError(f"IMAP {c.host}:{c.port} ({c.username}): {doing} failed: {error!r}")

    def __enter__(self) -> Mailbox:
        c = self.config
        try:
            client = imapclient.IMAPClient(
                c.host,
                c.port,
                ssl=c.security == "ssl",
                ssl_context=ssl.create_default_context(),
                timeout=self.timeout,
            )
        except _ERRORS as error:
            raise self._fail("connection", error) from error
        self._client = client
        try:
            if c.security == "starttls":
                # STARTTLS is mandatory on imap://: never fall back to a password in clear.
                if not client.has_capability("STARTTLS"):
                    raise MailboxError(
                        f"IMAP {c.host}:{c.port} does not offer STARTTLS; use imaps:// "
                        "(or tls=off, to a loopback address only)"
                    )
                client.starttls(ssl.create_default_context())
            client.login(c.username, c.password)
            for folder in (PROCESSED, FAILED):
                if not client.folder_exists(folder):
                    client.create_folder(folder)
            client.select_folder(c.folder, readonly=False)
        except MailboxError:
            self._close()
            raise
        except _ERRORS as error:
            self._close()
            raise self._fail("login and folder selection", error) from error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            # The connection may be dead already: nothing to save, only the socket to close.
            with contextlib.suppress(Exception):
                client.shutdown()

    @property
    def client(self) -> Any:
        if self._client is None:
            raise MailboxError(
                "the mailbox is not open (use it as `with Mailbox(...) as mailbox:`)"
            )
        return self._client

    def uids(self, limit: int | None = None) -> list[int]:
        """The folder's messages, oldest first (ascending UID); with limit, the first `limit`.

        Messages flagged \\Deleted are left out: a move by COPY that could not expunge leaves one.
        """
        try:
            found = sorted(int(uid) for uid in self.client.search(["UNDELETED"]))
        except _ERRORS as error:
            raise self._fail("search", error) from error
        return found if limit is None else found[:limit]

    def fetch(self, uid: int) -> bytes | None:
        """The whole raw message, \\Seen left unset; None when no message has this uid (now)."""
        return self.fetch_many([uid]).get(uid)

    def fetch_many(self, uids: Sequence[int]) -> dict[int, bytes]:
        """The raw messages of `uids` in one round trip; the uids gone are missing from the dict."""
        if not uids:
            return {}
        try:
            found = self.client.fetch(list(uids), ["BODY.PEEK[]"])
        except _ERRORS as error:
            raise self._fail("fetch", error) from error
        wanted = set(uids)
        # A server may add unsolicited FETCH responses (a flag change): keep what was asked for.
        return {
            int(uid): bytes(data[b"BODY[]"])
            for uid, data in found.items()
            if int(uid) in wanted and data.get(b"BODY[]") is not None
        }

    def move(self, uid: int, folder: str) -> None:
        """Move one message to `folder`: MOVE when the server has it, else COPY, \\Deleted and a
        UID EXPUNGE of this uid alone (a plain EXPUNGE would remove others' \\Deleted messages)."""
        try:
            if self.client.has_capability("MOVE"):
                self.client.move([uid], folder)
            else:
                self._move_by_copy(uid, folder)
        except _ERRORS as error:
            raise self._fail(f"move of uid {uid} to {folder}", error) from error

    def _move_by_copy(self, uid: int, folder: str) -> None:
        self.client.copy([uid], folder)
        self.client.add_flags([uid], [imapclient.DELETED], silent=True)
        if self.client.has_capability("UIDPLUS"):
            self.client.uid_expunge([uid])
        # Without UIDPLUS the copy stays flagged \Deleted in the folder, which uids() skips, until
        # the server or an operator expunges it.

    def append(self, raw: bytes, folder: str | None = None) -> None:
        """Add a message (tests, the benchmark)."""
        try:
            self.client.append(folder or self.config.folder, raw)
        except _ERRORS as error:
            raise self._fail("append", error) from error

    def count(self, folder: str) -> int:
        """The number of messages in a folder (STATUS MESSAGES)."""
        try:
            status = self.client.folder_status(folder, ["MESSAGES"])
        except _ERRORS as error:
            raise self._fail(f"status of {folder}", error) from error
        return int(status[b"MESSAGES"])
