"""Benchmark of e-mail in (issue 14): N messages waiting in a real Dovecot, handled by one worker.

The mailbox gets N messages (1,000 by default) with MEGABYTES of attachments in all (10 by
default), the mix a support mailbox sees: replies to our notifications with their signed
Reply-To (70 %, on « Commentaire » tickets, so each one also moves its ticket and mails its
handler), new tickets from clients (20 %, each acknowledged), unknown senders (5 %) and
auto-replies (5 %). Then one `fetch` — what the beat task runs in the worker — reads them all:
messages per second, and the cost of one message split into the IMAP round trips (fetch and
move) and the handling (parse, database, files).

    .venv/bin/python bench/inbound_bench.py [--count 1000] [--megabytes 10]

Needs /usr/sbin/dovecot (`make test` installs it), PostgreSQL and Redis; the database
atm_inbound_bench is dropped and created again on each run (BENCH_INBOUND_DB to name another,
atm_inbound_*), and the Redis database BENCH_BROKER_URL (redis://127.0.0.1:6379/9) is FLUSHED.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_INBOUND_DB", "atm_inbound_bench")
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atm_support.settings")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The mails the handling causes are published to this Redis database, EMPTIED before and after,
# which no worker reads: their cost here is the production one (rows written, one publish).
BROKER_URL = os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9")
os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = BROKER_URL
os.environ["PRIVATE_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="atm-inbound-bench-media-")

from bench.databases import recreate_postgres  # noqa: E402

recreate_postgres(DB, prefix="atm_inbound_")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.models import Organisation, User  # noqa: E402
from mail.inbound import fetch, tokens  # noqa: E402
from notifications.models import InboundMail, Notification  # noqa: E402
from tests.mail.dovecot import Dovecot  # noqa: E402
from tickets.models import Category, Note, State, Ticket  # noqa: E402
from tickets.services import ticket_create  # noqa: E402
from tickets.workflow import ticket_assign, ticket_change_state  # noqa: E402

SUPPORT = "support@atm-consulting.fr"


def png(size: int) -> bytes:
    """A valid PNG of about `size` bytes (noise does not compress)."""
    import io

    from PIL import Image

    side = max(int((size / 3) ** 0.5), 1)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def setup(count: int) -> tuple[list[User], list[Ticket], User]:
    call_command("migrate", verbosity=0)
    category = Category.objects.create(name="Anomalie", position=1)
    organisation = Organisation.objects.create(name="Bench e-mail entrant")
    tech = User.objects.create_user("tech@atm-consulting.fr", "x", is_staff=True, first_name="Tom")
    clients = [
        User.objects.create_user(
            f"client{n}@client.fr", "x", organisation=organisation, first_name=f"Client{n}"
        )
        for n in range(20)
    ]
    tickets = []
    for n in range(count // 4):
        ticket = ticket_create(
            reporter=clients[n % len(clients)],
            category=category,
            summary=f"Ticket {n}",
            description="Description",
        )
        ticket_assign(ticket=ticket, handler=tech, by=tech)
        ticket_change_state(ticket=ticket, to=State.FEEDBACK, by=tech)
        tickets.append(ticket)
    Notification.objects.all().delete()
    return clients, tickets, tech


def messages(
    count: int, megabytes: float, clients: list[User], tickets: list[Ticket]
) -> list[bytes]:
    rng = random.Random(14)
    with_files = max(count // 10, 1)
    image = png(int(megabytes * 1024 * 1024 / with_files))
    out = []
    for n in range(count):
        roll = rng.random()
        mail = EmailMessage()
        mail["Message-ID"] = make_msgid(domain="client.fr")
        mail["Date"] = "Thu, 03 Dec 2026 09:15:00 +0100"
        client = clients[n % len(clients)]
        mail["From"] = client.email
        if roll < 0.70:
            ticket = tickets[n % len(tickets)]
            reporter = ticket.reporter
            mail.replace_header("From", reporter.email)
            mail["To"] = tokens.reply_address(ticket.number, reporter.pk)
            mail["Subject"] = f"Re: [ATM {ticket.display_number}] {ticket.summary}"
            mail.set_content(
                f"Voici la précision demandée, numéro {n}.\n\n"
                f"Le jeu. 3 déc. 2026 à 09:00, ATM Support <{SUPPORT}> a écrit :\n"
                "> Pouvez-vous préciser ?\n> \n> -- \n> ATM Consulting\n"
            )
        elif roll < 0.90:
            mail["To"] = SUPPORT
            mail["Subject"] = f"Nouveau problème {n}"
            mail.set_content(f"L'écran {n} affiche une erreur.\n")
        elif roll < 0.95:
            mail.replace_header("From", f"inconnu{n}@ailleurs.example")
            mail["To"] = SUPPORT
            mail["Subject"] = "Offre spéciale"
            mail.set_content("Bonjour, découvrez notre offre.\n")
        else:
            mail["To"] = SUPPORT
            mail["Subject"] = "Réponse automatique : absent"
            mail["Auto-Submitted"] = "auto-replied"
            mail.set_content("Je suis absent jusqu'au 5 janvier.\n")
        if n % 10 == 0:
            mail.add_attachment(image, maintype="image", subtype="png", filename=f"capture-{n}.png")
        out.append(mail.as_bytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--megabytes", type=float, default=10.0)
    args = parser.parse_args()

    import redis

    broker = redis.Redis.from_url(BROKER_URL)
    broker.flushdb()
    server = Dovecot()
    server.start()
    try:
        settings.INBOUND_IMAP_URL = server.url
        settings.INBOUND_ADDRESS = SUPPORT
        settings.INBOUND_TICKETS_PER_HOUR = args.count
        settings.INBOUND_BATCH = args.count
        clients, tickets, _tech = setup(args.count)
        raws = messages(args.count, args.megabytes, clients, tickets)
        total = sum(len(raw) for raw in raws)
        started = time.perf_counter()
        for raw in raws:
            server.append(raw)
        appended = time.perf_counter() - started
        print(
            f"{args.count} messages, {total / 1024 / 1024:.1f} MB in all "
            f"({args.megabytes:g} MB of attachments), appended in {appended:.1f} s"
        )

        # The handling of each message timed apart: the rest of the pass is IMAP round trips.
        handled = 0.0
        original = fetch.handle_one

        def timed(raw: bytes, target: fetch.Handler | None = None) -> str:
            nonlocal handled
            began = time.perf_counter()
            try:
                return original(raw, target)
            finally:
                handled += time.perf_counter() - began

        fetch.handle_one = timed
        started = time.perf_counter()
        moved = fetch.fetch()
        elapsed = time.perf_counter() - started
        fetch.handle_one = original

        assert sum(moved.values()) == args.count, moved
        print(f"moved: {dict(moved)}; in the mailbox now: {server.count('INBOX')} left")
        opened = Ticket.objects.count() - len(tickets)
        print(
            f"notes {Note.objects.count()}, tickets opened {opened}, mails recorded "
            f"{InboundMail.objects.count()}, outbox rows {Notification.objects.count()}"
        )
        print(f"one worker: {args.count / elapsed:.1f} messages/s, {elapsed:.1f} s in all")
        print(
            f"per message: {elapsed / args.count * 1000:.1f} ms, of which handling "
            f"(parse, database, files) {handled / args.count * 1000:.1f} ms and IMAP "
            f"(fetch, move) {(elapsed - handled) / args.count * 1000:.1f} ms"
        )
        again = time.perf_counter()
        for raw in raws[:100]:
            server.append(raw)
        moved = fetch.fetch()
        seen = time.perf_counter() - again
        print(
            f"the same 100 messages seen again: {dict(moved)}, "
            f"{seen / 100 * 1000:.1f} ms each (append included), nothing handled twice: "
            f"{InboundMail.objects.count()} mails recorded"
        )
    finally:
        server.stop()
        broker.flushdb()


if __name__ == "__main__":
    main()
