"""Real pieces for the delivery tests: a Celery worker process, Redis, an SMTP server, and the
means to break each of them.

- The worker is `celery -A atm_support worker` (prefork), started with the test database's
  DATABASE_URL and tests/notifications/worker_settings.py (production settings, short retries).
- The broker is a Redis database of its own, next to REDIS_URL's (one below it, or
  TEST_CELERY_BROKER_URL): the suite clears the cache database between tests, and the broker's
  keys must survive that. The test process publishes through a TCP proxy that a test can cut.
- The SMTP server is the aiosmtpd sink of tests/conftest.py, which can also go down, refuse
  recipients, stall, or run a hook when a message arrives.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import kombu.pools
import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connections

from atm_support.celery import app as celery_app
from tests.conftest import ReceivedMail, SMTPSink, _free_port

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


def wait_until(predicate: Callable[[], Any], timeout: float = 10, what: str = "") -> Any:
    """Poll `predicate` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _fresh_event_cache() -> None:
    """In-process deliveries start without events cached by an earlier test."""
    from notifications.delivery import _events

    _events.clear()


class FaultySMTP(SMTPSink):
    """A real SMTP server on 127.0.0.1 that keeps what it receives, and can misbehave."""

    def __init__(self) -> None:
        super().__init__()
        self.port = _free_port()
        self.controller: Controller | None = None
        self.reset()

    def reset(self) -> None:
        self.rcpt_reply = ""  # e.g. "451 4.3.0 Try again later" for every recipient
        self.refused: set[str] = set()  # recipients answered "550 5.1.1"
        self.delay = 0.0  # seconds spent on each DATA before accepting it
        # Called with each message once it is received, before the "250" reply is sent back.
        self.on_data: Callable[[ReceivedMail], None] | None = None
        self.clear()

    def up(self) -> None:
        if self.controller is None:
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def down(self) -> None:
        """Stop listening and drop every open session: connections are refused."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 Unknown user"
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = await super().handle_DATA(server, session, envelope)
        if self.on_data is not None:
            with self._lock:
                mail = self.messages[-1]
            self.on_data(mail)
        return reply

    def by_message_id(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(str(m.message["Message-ID"]) for m in self.messages)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; down() refuses and drops connections, up() heals."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def up(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in [s for s in (listener,) if s is not None] + list(sockets):
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def point_celery_at(url: str) -> None:
    """Make this process publish to `url`, dropping the connections pooled for the old one."""
    celery_app.conf.update(broker_url=url)
    kombu.pools.reset()  # closes them, and forgets them (they are shared by URL)
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def broker_url() -> str:
    explicit = os.environ.get("TEST_CELERY_BROKER_URL")
    if explicit:
        return explicit
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail("The notification tests need Redis: set REDIS_URL (make test does).")
    parts = urlsplit(redis_url)
    db = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db - 1 if db > 0 else db + 1}"))


class Broker:
    def __init__(self, url: str) -> None:
        self.url = url  # what workers use, directly
        parts = urlsplit(url)
        self.proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 6379))
        self.proxied_url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.proxy.port}"))

    def flush(self) -> None:
        redis.Redis.from_url(self.url).flushdb()


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    """The Redis broker, reached by this process through a proxy that tests can cut."""
    broker = Broker(broker_url())
    broker.flush()
    broker.proxy.up()
    previous = celery_app.conf.broker_url
    point_celery_at(broker.proxied_url)
    yield broker
    point_celery_at(previous)
    broker.proxy.down()
    broker.flush()


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[FaultySMTP]:
    server = FaultySMTP()
    server.up()
    yield server
    server.down()


@pytest.fixture
def outbox_smtp(smtp_server: FaultySMTP, broker: Broker) -> Iterator[FaultySMTP]:
    """The workers' SMTP server, reset and listening at the start of each test."""
    smtp_server.reset()
    smtp_server.up()
    broker.proxy.up()
    yield smtp_server
    smtp_server.reset()
    smtp_server.up()
    broker.proxy.up()


def _database_url() -> str:
    db = connections["default"].settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("The notification tests need PostgreSQL: set DATABASE_URL (make test does).")
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_environment(broker_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `celery worker` the tests start: this one without what configures
    pytest, Celery, mail or Django, then the test database, `broker_url` and `settings`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "CELERY_", "EMAIL_", "DJANGO_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "atm_support.settings",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker_url,
            "STATIC_MANIFEST": "0",
            "PYTHONUNBUFFERED": "1",
            **settings,
        }
    )
    return env


class Worker:
    """One `celery worker` process (prefork), with its own process group."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = 2) -> None:
        self.env = env
        self.log_path = log_path
        self.concurrency = concurrency
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 30) -> Worker:
        self.starts += 1
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "atm_support",
                    "worker",
                    "--pool=prefork",
                    f"--concurrency={self.concurrency}",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    f"--hostname=notif{self.starts}-{os.getpid()}@%h",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(
            lambda: self._ready(offset), timeout=timeout, what=f"the worker\n{self.log_tail()}"
        )
        return self

    def _ready(self, offset: int) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"the worker exited\n{self.log_tail()}")
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return b" ready." in log.read()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        """The pool processes that run the tasks."""
        assert self.proc is not None
        pid = self.proc.pid
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def kill(self) -> None:
        """SIGKILL the main process and its pool at once: nothing gets to clean up."""
        if self.alive:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def worker_env(django_db_setup: Any, broker: Broker, smtp_server: FaultySMTP) -> dict[str, str]:
    return worker_environment(
        broker.url,
        DJANGO_SETTINGS_MODULE="tests.notifications.worker_settings",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_TIMEOUT="2",
        LOG_LEVEL="INFO",
    )


@pytest.fixture(scope="module")
def worker_factory(
    worker_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []
    logs = tmp_path_factory.mktemp("celery")

    def make(concurrency: int = 2) -> Worker:
        worker = Worker(worker_env, logs / f"worker{len(started)}.log", concurrency)
        started.append(worker)
        return worker.start()

    yield make
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def _module_worker(worker_factory: Callable[..., Worker]) -> Worker:
    return worker_factory()


@pytest.fixture
def worker(_module_worker: Worker, outbox_smtp: FaultySMTP) -> Iterator[Worker]:
    """A running worker shared by the module's tests (restarted if a test killed it)."""
    if not _module_worker.alive:
        _module_worker.start()
    yield _module_worker
    if not _module_worker.alive:
        _module_worker.start()


@contextlib.contextmanager
def notifications_muted() -> Iterator[None]:
    """Set-up without mails: the outbox receiver is disconnected meanwhile."""
    from notifications.receivers import on_ticket_event
    from tickets.events import ticket_event

    ticket_event.disconnect(dispatch_uid="notifications.record_event")
    try:
        yield
    finally:
        ticket_event.connect(on_ticket_event, dispatch_uid="notifications.record_event")


class Cast:
    """Everyone around one ticket of Boulangerie Martin, and a few who must hear nothing."""

    def __init__(self, organisation: Any, other_organisation: Any) -> None:
        from accounts.models import User
        from tests.factories import ClientFactory, StaffFactory, make_ticket
        from tickets.models import Note, State

        self.reporter = ClientFactory(email="paul@boulangerie-martin.fr", organisation=organisation)
        self.follower = ClientFactory(
            email="lea@boulangerie-martin.fr", organisation=organisation, follow_all_tickets=True
        )
        self.commenter = ClientFactory(
            email="marc@boulangerie-martin.fr", organisation=organisation
        )
        self.bystander = ClientFactory(email="zoe@boulangerie-martin.fr", organisation=organisation)
        self.inactive = ClientFactory(
            email="ancien@boulangerie-martin.fr",
            organisation=organisation,
            follow_all_tickets=True,
            is_active=False,
        )
        self.stranger = ClientFactory(
            email="sophie@cabinet-durand.fr",
            organisation=other_organisation,
            follow_all_tickets=True,
        )
        self.handler = StaffFactory(email="tom@atm-consulting.fr", first_name="Tom")
        self.staff_commenter = StaffFactory(email="ines@atm-consulting.fr", first_name="Inès")
        self.staff_bystander = StaffFactory(email="hugo@atm-consulting.fr")
        self.actor = StaffFactory(
            email="alice.martin@atm-consulting.fr", first_name="Alice", last_name="Martin"
        )
        with notifications_muted():
            self.ticket = make_ticket(
                reporter=self.reporter, state=State.ASSIGNED, handler=self.handler
            )
        # Earlier notes, written straight to the table: they make followers, without mails.
        commenter, staff_commenter = typing.cast(
            "list[User]", [self.commenter, self.staff_commenter]
        )
        Note.objects.create(ticket=self.ticket, author=commenter, text="Chez moi aussi.")
        Note.objects.create(
            ticket=self.ticket, author=staff_commenter, text="Vu avec Tom.", is_private=True
        )

    @property
    def clients(self) -> list[Any]:
        return [self.reporter, self.follower, self.commenter]

    @property
    def staff(self) -> list[Any]:
        return [self.handler, self.staff_commenter]

    @property
    def silent(self) -> list[Any]:
        """Never mailed about this ticket."""
        return [self.bystander, self.inactive, self.stranger, self.staff_bystander]

    @property
    def everyone(self) -> list[Any]:
        return [*self.clients, *self.staff, *self.silent, self.actor]


@pytest.fixture
def cast(organisation: Any, other_organisation: Any) -> Cast:
    return Cast(organisation, other_organisation)
