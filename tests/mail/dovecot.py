"""A real Dovecot IMAP server for the tests: its own configuration in a temporary directory, on a
free loopback port, in the foreground (`dovecot -F`), stopped when the session ends.

No system configuration is read (`-c` our dovecot.conf) and nothing is written outside the
directory. Plain IMAP without TLS on 127.0.0.1 only, one passwd-file user whose mail is a Maildir.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import imapclient

DOVECOT = "/usr/sbin/dovecot"
USER = "support"
PASSWORD = "mot-de-passe-de-test"

CONFIG = """\
# Written by tests/mail/dovecot.py: a throwaway server for the test suite.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = atm-support-tests-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
auth_verbose = yes
# A wrong password answers at once (the tests try one), not after the default 2 s.
auth_failure_delay = 0
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
shutdown_clients = yes
mail_max_userip_connections = 100
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{root}/mail/%u
{unprivileged}
namespace inbox {{
  inbox = yes
  separator = /
}}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
"""

# Run as a user other than root (a developer's `make test`), Dovecot's internal and login
# processes are that user too, and cannot chroot.
UNPRIVILEGED = """\
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


# A certificate for 127.0.0.1, valid two days: the TLS tests trust it through SSL_CERT_FILE.
SELF_SIGNED = (
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
    "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DovecotError(RuntimeError):
    pass


class Dovecot:
    """One running server; `url` is what mail.inbound.mailbox.Mailbox takes."""

    def __init__(self, *, tls: bool = False) -> None:
        """With tls, STARTTLS on `port` and implicit TLS on `imaps_port`, with a certificate for
        127.0.0.1 whose file `certificate` a client must trust (SSL_CERT_FILE)."""
        self.root = Path(tempfile.mkdtemp(prefix="atm-dovecot-"))
        self.port = _free_port()
        self.tls = tls
        self.imaps_port = _free_port() if tls else 0
        self.certificate = self.root / "cert.pem"
        self.url = f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX?tls=off"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> str:
        """What Dovecot said: its output (errors before the log is open), then its log file."""
        said = []
        for name in ("dovecot.out", "dovecot.log"):
            path = self.root / name
            text = path.read_text(errors="replace") if path.exists() else "(none)"
            said.append(f"--- {path}:\n{text}")
        return "\n".join(said)

    def start(self, timeout: float = 20) -> None:
        if os.geteuid() == 0:
            # Mail is never handled as root: the `mail` system user owns the Maildir.
            account = pwd.getpwnam("mail")
            uid, gid, unprivileged = account.pw_uid, account.pw_gid, ""
        else:
            uid, gid = os.geteuid(), os.getegid()
            unprivileged = UNPRIVILEGED.format(
                user=pwd.getpwuid(uid).pw_name, group=grp.getgrgid(gid).gr_name
            )
        self.root.chmod(0o755)
        for name in ("state", "mail"):
            (self.root / name).mkdir()
        os.chown(self.root / "mail", uid, gid)
        (self.root / "passwd").write_text(f"{USER}:{PASSWORD}\n")
        config = self.root / "dovecot.conf"
        ssl = "ssl = no"
        if self.tls:
            key = self.root / "key.pem"
            subprocess.run(
                [*SELF_SIGNED.split(), "-keyout", str(key), "-out", str(self.certificate)],
                check=True,
                capture_output=True,
            )
            ssl = f"ssl = yes\nssl_cert = <{self.certificate}\nssl_key = <{key}"
        config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                imaps_port=self.imaps_port,
                ssl=ssl,
                uid=uid,
                gid=gid,
                unprivileged=unprivileged,
            )
        )
        output = (self.root / "dovecot.out").open("wb")
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            # Before it opens log_path, Dovecot reports on stderr: a file, as a pipe could fill up.
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        output.close()
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise DovecotError(
                    f"Dovecot exited with {self._process.returncode} at start.\n{self.log}"
                )
            if self._greets():
                return
            if time.monotonic() > deadline:
                log = self.log
                self.stop()
                raise DovecotError(f"Dovecot did not answer on {self.port} in {timeout} s.\n{log}")
            time.sleep(0.05)

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    # The tests' own view of the mailbox, straight through imapclient (not the code under test).

    def _client(self) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient("127.0.0.1", self.port, ssl=False, timeout=30)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, folder: str = "INBOX", flags: Sequence[str] = ()) -> None:
        with self._client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=tuple(flags))

    def count(self, folder: str = "INBOX") -> int:
        with self._client() as client:
            return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])

    def folders(self) -> list[str]:
        with self._client() as client:
            return [name for _flags, _separator, name in client.list_folders()]

    def fetch_all(self, folder: str = "INBOX") -> list[bytes]:
        """Every message of the folder, oldest first, without setting \\Seen."""
        with self._client() as client:
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            if not uids:
                return []
            found = client.fetch(uids, ["BODY.PEEK[]"])
            return [bytes(found[uid][b"BODY[]"]) for uid in uids]

    def flags(self, folder: str = "INBOX") -> list[tuple[bytes, ...]]:
        """Each message's flags, oldest first."""
        with self._client() as client:
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            found = client.fetch(uids, ["FLAGS"]) if uids else {}
            return [tuple(found[uid][b"FLAGS"]) for uid in uids]

    def empty(self) -> None:
        """Every folder emptied (the folders themselves are kept)."""
        with self._client() as client:
            for name in [name for _flags, _separator, name in client.list_folders()]:
                client.select_folder(name)
                if client.search("ALL"):
                    client.set_flags(client.search("ALL"), [imapclient.DELETED])
                    client.expunge()
                client.unselect_folder()
