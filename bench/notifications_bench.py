"""Benchmark of the notification pipeline (issue 5), on this machine, against local services.

1. Throughput: N queued notifications (10,000 by default) published to Redis, then one
   `celery worker --concurrency=2` started to send them to a local SMTP sink (aiosmtpd, in this
   process): mails per second, from the first mail to the last, and from the worker's start.
2. The duplicate window: how long after the SMTP server accepted a mail its row is committed
   SENT (deliver() timed in this process, through the same kind of SMTP session).
3. The request: what a page that changes a ticket's state (a client's answer on a « Commentaire »
   ticket, POSTed to the portal through Django's test client) spends on notification work:
   writing the outbox rows in the transaction, and publishing them after commit; with Redis
   up, and with the broker unreachable.

Run it with a PostgreSQL database and a Redis database it may empty (both are the defaults):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atm_notif \\
    BENCH_BROKER_URL=redis://127.0.0.1:6379/9 \\
    .venv/bin/python bench/notifications_bench.py [--count 10000] [--requests 200]

The database gets an organisation « Bench notifications » and its tickets (replaced on each
run); the broker's Redis database is FLUSHED.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atm_support.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/atm_notif")
BROKER_URL = os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9")
os.environ["CELERY_BROKER_URL"] = BROKER_URL
os.environ.setdefault("REDIS_URL", BROKER_URL)
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import kombu.pools  # noqa: E402
import redis  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organisation, User  # noqa: E402
from atm_support.celery import app as celery_app  # noqa: E402
from mail.models import Status  # noqa: E402
from mail.smtp import MailSession  # noqa: E402
from notifications import outbox, receivers  # noqa: E402
from notifications.delivery import deliver  # noqa: E402
from notifications.models import Event, Kind, Notification, Reason  # noqa: E402
from notifications.tasks import send_notification  # noqa: E402
from tickets.models import Category, Note, State, Ticket  # noqa: E402
from tickets.services import ticket_create  # noqa: E402

ORGANISATION = "Bench notifications"
RECIPIENTS = 10  # users following every ticket of the bench organisation


class CountingSink:
    """The cheapest SMTP server that still receives every byte: counts messages."""

    def __init__(self) -> None:
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None
        self.ids: dict[str, int] = {}
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        message_id = next(
            (
                line.split(b":", 1)[1].strip().decode()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"message-id:")
            ),
            "",
        )
        with self._lock:
            self.count += 1
            self.first = self.first or now
            self.last = now
            self.ids[message_id] = self.ids.get(message_id, 0) + 1
        return "250 OK"

    def reset(self) -> None:
        with self._lock:
            self.count, self.first, self.last, self.ids = 0, None, None, {}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its live children (the pool)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def describe(values: list[float]) -> str:
    return (
        f"mean {statistics.mean(values):.2f}  p50 {percentile(values, 0.5):.2f}  "
        f"p95 {percentile(values, 0.95):.2f}  max {max(values):.2f} ms"
    )


# --- data ------------------------------------------------------------------------------------


def create_database() -> None:
    """CREATE DATABASE if DATABASE_URL names one that does not exist yet."""
    import psycopg2

    db = settings.DATABASES["default"]
    params = {k.lower(): db[k] for k in ("USER", "PASSWORD", "HOST", "PORT") if db[k]}
    conn = psycopg2.connect(dbname="postgres", **params)
    conn.autocommit = True  # CREATE DATABASE refuses to run in a transaction
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    finally:
        conn.close()
    call_command("migrate", verbosity=0)


def setup_data() -> tuple[list[User], User, User]:
    Ticket.objects.filter(organisation__name=ORGANISATION).delete()
    User.objects.filter(organisation__name=ORGANISATION).delete()
    User.objects.filter(email__startswith="bench-", is_staff=True).delete()
    organisation, _ = Organisation.objects.get_or_create(name=ORGANISATION)
    followers = [
        User.objects.create_user(
            f"bench-client{i}@bench.example", organisation=organisation, follow_all_tickets=True
        )
        for i in range(RECIPIENTS)
    ]
    handler = User.objects.create_user("bench-handler@atm-consulting.fr", is_staff=True)
    actor = User.objects.create_user("bench-actor@atm-consulting.fr", is_staff=True)
    return followers, handler, actor


def queue_notifications(count: int, reporter: User, handler: User, actor: User) -> list[int]:
    """`count` QUEUED rows: state-change events of 10 followers each, written in bulk."""
    category, _ = Category.objects.get_or_create(name="Anomalie")
    with muted():
        ticket = ticket_create(
            reporter=reporter, category=category, summary="Banc d'essai", description="Bench"
        )
    Ticket.objects.filter(pk=ticket.pk).update(state=State.ASSIGNED, handler=handler)
    users = list(User.objects.filter(organisation=reporter.organisation).order_by("pk"))
    events = Event.objects.bulk_create(
        Event(
            ticket=ticket,
            kind=Kind.STATE_CHANGED,
            actor=actor,
            old_state=State.ASSIGNED,
            new_state=State.FEEDBACK,
        )
        for _ in range((count + len(users) - 1) // len(users))
    )
    now = timezone.now()
    rows = [
        Notification(
            event=event, recipient=user, reason=Reason.ORGANISATION, created_at=now, due_at=now
        )
        for event in events
        for user in users
    ][:count]
    created = Notification.objects.bulk_create(rows, batch_size=2000)
    return [n.pk for n in created]


@contextmanager
def muted() -> Iterator[None]:
    from tickets.events import ticket_event

    ticket_event.disconnect(dispatch_uid="notifications.record_event")
    try:
        yield
    finally:
        ticket_event.connect(receivers.on_ticket_event, dispatch_uid="notifications.record_event")


# --- 1. throughput ---------------------------------------------------------------------------


def throughput(
    count: int, concurrency: int, sink: CountingSink, smtp_port: int, extra: list[str]
) -> None:
    followers, handler, actor = setup_data()
    ids = queue_notifications(count, followers[0], handler, actor)
    redis.Redis.from_url(BROKER_URL).flushdb()
    started = time.monotonic()
    with celery_app.producer_or_acquire() as producer:
        for pk in ids:
            send_notification.apply_async((pk,), producer=producer)
    publish = time.monotonic() - started
    print(f"  published {len(ids)} tasks in {publish:.2f} s ({len(ids) / publish:.0f}/s)")

    sink.reset()
    env = {
        **os.environ,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "LOG_LEVEL": "WARNING",
    }
    log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "atm_support",
        "worker",
        f"--concurrency={concurrency}",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        *extra,
    ]
    worker_started = time.monotonic()
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
    load_before = os.getloadavg()[0]
    cpu_at_first = cpu = 0.0
    try:
        deadline = time.monotonic() + max(120, count / 20)
        while sink.count < len(ids) and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise SystemExit(f"the worker died, see {log.name}")
            if not cpu_at_first and sink.count:
                cpu_at_first = cpu_seconds(worker.pid)
            time.sleep(0.1)
        cpu = cpu_seconds(worker.pid) - cpu_at_first
    finally:
        worker.terminate()
        worker.wait(30)
    assert sink.first is not None
    assert sink.last is not None
    span = sink.last - sink.first
    sent = Notification.objects.filter(pk__in=ids, status=Status.SENT).count()
    duplicates = sum(n - 1 for n in sink.ids.values())
    print(f"  worker: --concurrency={concurrency} (prefork), SMTP session kept open per process")
    print(f"  received {sink.count} mails, {len(sink.ids)} distinct, {duplicates} duplicates")
    print(f"  rows SENT: {sent}/{len(ids)}")
    print(f"  first mail {sink.first - worker_started:.2f} s after the worker was started")
    print(f"  steady rate: {sink.count / span:.0f} mails/s ({span:.1f} s first to last)")
    print(f"  from start:  {sink.count / (sink.last - worker_started):.0f} mails/s")
    print(
        f"  worker CPU: {cpu * 1000 / sink.count:.1f} ms per mail (all its processes), "
        f"i.e. {sink.count / cpu:.0f} mails per CPU-second"
    )
    print(f"  load average: {load_before:.1f} at start, {os.getloadavg()[0]:.1f} at the end")


# --- 2. duplicate window ---------------------------------------------------------------------


def duplicate_window(count: int, smtp_port: int) -> None:
    followers, handler, actor = setup_data()
    ids = queue_notifications(count, followers[0], handler, actor)
    session = MailSession()
    windows, totals = [], []
    mailers = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_port, "timeout": 10},
        }
    }
    with override_settings(MAILERS=mailers):
        for pk in ids:
            started = time.monotonic()
            delivery = deliver(pk, connection=session)
            totals.append((time.monotonic() - started) * 1000)
            windows.append((delivery.unrecorded or 0) * 1000)
    session.close()
    print(f"  {count} deliveries in this process (one SMTP session)")
    print(f"  SMTP accepted -> SENT committed: {describe(windows)}")
    print(f"  whole deliver():                 {describe(totals)}")


# --- 3. the request --------------------------------------------------------------------------


class Timer:
    """Wall-clock and CPU time (this thread) spent in the wrapped functions."""

    def __init__(self) -> None:
        self.total = 0.0
        self.cpu = 0.0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.total += time.perf_counter() - started
                self.cpu += time.thread_time() - cpu

        return timed


def request_timing(requests: int, broker_url: str, label: str) -> None:
    followers, handler, actor = setup_data()
    category, _ = Category.objects.get_or_create(name="Anomalie")
    reporter = followers[0]
    with muted():
        ticket = ticket_create(
            reporter=reporter, category=category, summary="Page", description="Bench"
        )
    Ticket.objects.filter(pk=ticket.pk).update(state=State.ASSIGNED, handler=handler)
    Note.objects.create(ticket=ticket, author=actor, text="Une question ?")
    celery_app.conf.update(broker_url=broker_url)
    kombu.pools.reset()
    vars(celery_app)["_pool"] = None
    vars(celery_app.amqp)["_producer_pool"] = None

    browser = Client(HTTP_HOST="localhost")
    browser.force_login(reporter)
    url = f"/tickets/{ticket.number}/"
    browser.get(url)  # warm up

    original = (receivers.record_event, outbox.enqueue)
    page, in_transaction, after_commit, cpu, rows = [], [], [], [], []
    try:
        for i in range(requests):
            Ticket.objects.filter(pk=ticket.pk).update(state=State.FEEDBACK)
            writing, publishing = Timer(), Timer()
            receivers.record_event = writing.wrap(original[0])
            outbox.enqueue = publishing.wrap(original[1])
            before = Notification.objects.count()
            started = time.perf_counter()
            response = browser.post(url, {"text": f"Réponse {i}"})
            page.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 302, response.status_code
            in_transaction.append(writing.total * 1000)
            after_commit.append(publishing.total * 1000)
            cpu.append((writing.cpu + publishing.cpu) * 1000)
            rows.append(Notification.objects.count() - before)
    finally:
        receivers.record_event, outbox.enqueue = original
    work = [a + b for a, b in zip(in_transaction, after_commit, strict=True)]
    print(f"  {label}: {requests} POSTs of a client's answer (Commentaire -> Affecté)")
    print(f"    outbox rows per request: {statistics.mean(rows):.0f}")
    print(f"    whole request:              {describe(page)}")
    print(f"    notification work:          {describe(work)}")
    print(f"      rows, in the transaction: {describe(in_transaction)}")
    print(f"      publish, after commit:    {describe(after_commit)}")
    print(f"      CPU of this thread:       {describe(cpu)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--prefetch", type=int, default=0, help="worker prefetch multiplier (default: settings)"
    )
    parser.add_argument("--window-count", type=int, default=500)
    parser.add_argument("--only", choices=["throughput", "window", "request"])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")

    create_database()
    sink = CountingSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    print(f"Machine: {os.cpu_count()} CPU(s); PostgreSQL, Redis and the SMTP sink are local.")
    try:
        if args.only in (None, "throughput"):
            print(f"\n1. Throughput: {args.count} queued notifications")
            extra = [f"--prefetch-multiplier={args.prefetch}"] if args.prefetch else []
            throughput(args.count, args.concurrency, sink, smtp_port, extra)
        if args.only in (None, "window"):
            print("\n2. Duplicate window")
            duplicate_window(args.window_count, smtp_port)
        if args.only in (None, "request"):
            print("\n3. The state-changing request")
            request_timing(args.requests, BROKER_URL, "Redis up")
            request_timing(
                min(args.requests, 50), f"redis://127.0.0.1:{free_port()}/0", "broker unreachable"
            )
    finally:
        controller.stop()
        redis.Redis.from_url(BROKER_URL).flushdb()


if __name__ == "__main__":
    main()
