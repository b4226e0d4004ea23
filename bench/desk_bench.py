"""The technicians' ticket list (/admin/tickets/ticket/) on the benchmark data set, in-process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atm_bench .venv/bin/python bench/desk_bench.py \
        [--iterations 15] [--recount]

`--recount` first fills the response targets' fields of every ticket (tickets.targets
.recount_all, as migration 0012 does on an existing installation; build_dataset.py loads rows
by COPY, past the workflow that keeps them) and reports how long that took. Then each list
below is requested through Django's test Client as a technician: median and worst wall time,
SQL queries, rows shown (bench/README.md § 10).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import setup_django  # noqa: E402

LISTS = [
    ("default (open, newest change first)", {}),
    ("Dépassés", {"target": "late"}),
    ("Bientôt dépassés", {"target": "soon"}),
    ("En attente de l'équipe", {"waiting": "team"}),
    ("En attente du client", {"waiting": "client"}),
    ("Mes tickets", {"handler": "me"}),
    ("Non affectés", {"handler": "none"}),
    ("Tous, page 100", {"state": "all", "p": "100"}),
    ("search « facture »", {"q": "facture"}),
    ("search an organisation", {"q": "__organisation__"}),
    ("Dépassés + search « facture »", {"target": "late", "q": "facture"}),
]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--recount", action="store_true")
    args = parser.parse_args(argv)
    connection = setup_django()
    from django.db import reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Organisation, User
    from tickets.models import Ticket
    from tickets.targets import recount_all

    if args.recount:
        started = time.perf_counter()
        done = recount_all()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tickets_ticket")
        print(f"recount_all: {done} tickets in {time.perf_counter() - started:.1f} s")
    print(
        f"{Ticket.objects.count()} tickets, {Ticket.objects.filter(due_at__isnull=False).count()}"
        " with a running deadline"
    )
    technician = User.objects.filter(is_staff=True, is_active=True).order_by("pk").first()
    assert technician is not None
    organisation = Organisation.objects.order_by("pk").values_list("name", flat=True).first() or ""
    client = Client()
    client.force_login(technician)
    print("| Liste | médiane | pire | requêtes | lignes |\n|---|---:|---:|---:|---:|")
    for label, params in LISTS:
        params = {k: (organisation if v == "__organisation__" else v) for k, v in params.items()}
        client.get("/admin/tickets/ticket/", params)  # warm
        times = []
        for _ in range(args.iterations):
            reset_queries()
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/admin/tickets/ticket/", params)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (label, response.status_code)
        rows = response.content.decode().count('class="action-checkbox"')
        print(
            f"| {label} | {statistics.median(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms"
            f" | {len(queries)} | {rows} |"
        )


if __name__ == "__main__":
    main()
