"""Does tickets/widget_renderer.py still pay? The ticket list rendered with and without it.

    .venv/bin/python bench/widget_renderer_bench.py [--repeat 200] [--rounds 9] [--redis URL]

Builds its own PostgreSQL database, `atm_bench_widgets` (dropped and created again each time;
nothing else is touched), migrated, with the benchmark's large organisation as
bench/build_dataset.py makes it: 25 client users, the 5 categories, 3 staff members and 200
tickets (4 list pages of 50). Settings are bench.settings' (DEBUG off, cached templates), with
the page cache off: every request renders the page, as a first view after a write does.

The filter form is rendered by either renderer, one after the other in each round (so that a
busy moment of the machine hits both): PythonWidgetRenderer, the form's default_renderer, or
Django's DjangoTemplates, what the form uses without it. Two measures:

- « form »: TicketFilterForm built as the list builds it (bound to a filtered query string) and
  its widgets rendered as tickets/_ticket_list.html renders them (each field of the grid, each
  state box's tag);
- « page »: GET /tickets/ with the same query string through the test Client, signed in as a
  client user of the large organisation (whole request: middleware, SQL, every template).

Prints, per measure and renderer, milliseconds per render (wall and CPU: median and best of the
rounds), and what the renderer saves (the median of each round's difference), in ms and as a
share of the measure's CPU without it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.databases import recreate_postgres  # noqa: E402 - after the path fix above

DATABASE = "atm_bench_widgets"
SERVER = "postgres://postgres@127.0.0.1:5432"
QUERY = "q=imprimante&state=new&state=assigned&priority=30&date_of=created"
CATEGORIES = ("Anomalie", "Question", "Demande d'évolution", "Retour projet", "Paramétrage")
CLIENTS = 25
STAFF = 3
TICKETS = 200


def setup(redis_url: str) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    os.environ["REDIS_URL"] = redis_url
    os.environ["PAGE_CACHE"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("STATIC_MANIFEST", "0")
    recreate_postgres(DATABASE, prefix="atm_bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build() -> Any:
    """The large organisation, its users and tickets; returns the client who reads the list."""
    from accounts.models import Organisation, User
    from tickets.models import Category, Priority, State, Ticket

    organisation = Organisation.objects.create(name="Grande Organisation SA")
    clients = [
        User(
            email=f"client{n}@grande.example",
            first_name=f"Prénom{n}",
            last_name=f"Nom {n}",
            organisation=organisation,
        )
        for n in range(CLIENTS)
    ]
    staff = [
        User(email=f"tech{n}@atm.example", first_name="Tech", last_name=f"{n}", is_staff=True)
        for n in range(STAFF)
    ]
    for user in [*clients, *staff]:
        user.set_unusable_password()
    User.objects.bulk_create([*clients, *staff])
    categories = Category.objects.bulk_create(
        Category(name=name, position=n) for n, name in enumerate(CATEGORIES)
    )
    states = [State.NEW, State.ACKNOWLEDGED, State.ASSIGNED, State.FEEDBACK, State.RESOLVED]
    priorities = list(Priority.values)
    Ticket.objects.bulk_create(
        Ticket(
            number=n + 1,
            organisation=organisation,
            reporter=clients[n % CLIENTS],
            handler=staff[n % STAFF] if n % 3 else None,
            category=categories[n % len(categories)],
            state=states[n % len(states)],
            priority=priorities[n % len(priorities)],
            summary=f"L'imprimante du bureau {n} n'imprime plus",
            description="Depuis ce matin, rien ne sort.",
        )
        for n in range(TICKETS)
    )
    return clients[0]


def form_renderer(python: bool) -> None:
    from django.forms.renderers import DjangoTemplates

    from tickets.search import TicketFilterForm
    from tickets.widget_renderer import PythonWidgetRenderer

    # The form's own renderer, or the one Django's forms use (settings.FORM_RENDERER's default).
    renderer = PythonWidgetRenderer() if python else DjangoTemplates()
    TicketFilterForm.default_renderer = renderer  # type: ignore[assignment]


def measure(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Wall and CPU milliseconds per call of `work`, over `repeat` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        work()
    return (
        (time.perf_counter() - wall) * 1000 / repeat,
        (time.process_time() - cpu) * 1000 / repeat,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="renders per round and case")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    args = parser.parse_args()
    setup(args.redis)

    from django.http import QueryDict
    from django.test import Client

    from tickets.search import TicketFilterForm

    reader = build()
    client = Client()
    client.force_login(reader)
    url = f"/tickets/?{QUERY}"

    def form() -> str:
        bound = TicketFilterForm(QueryDict(QUERY), user=reader)
        bound.is_valid()  # as the list does: invalid fields are marked before rendering
        parts = [str(field) for field, _css in bound.grid]
        parts.extend(str(choice.tag()) for choice in bound["state"])
        return "".join(parts)

    def page() -> bytes:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.content

    # Same HTML either way (tests/tickets/test_widget_renderer.py checks each widget).
    form_renderer(True)
    fast_html = form()
    form_renderer(False)
    assert form() == fast_html

    results: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    cases: list[tuple[str, Callable[[], object], int]] = [
        ("form", form, args.repeat),
        ("page", page, max(args.repeat // 4, 1)),
    ]
    for _round in range(args.rounds):
        for name, work, repeat in cases:
            for python in (True, False):
                form_renderer(python)
                work()  # warm: templates loaded, caches filled
                results.setdefault((name, python), []).append(measure(work, repeat))
    form_renderer(True)

    def cpu(name: str, python: bool) -> list[float]:
        return [cpu_ms for _wall, cpu_ms in results[(name, python)]]

    django_version = __import__("django").get_version()
    print(f"Django {django_version}, {args.rounds} rounds, query ?{QUERY}")
    print(f"{'':6} {'renderer':22} {'wall ms':>8} {'CPU ms':>8} {'best CPU':>9}")
    for name, _work, repeat in cases:
        for python in (True, False):
            wall = statistics.median(wall_ms for wall_ms, _cpu in results[(name, python)])
            label = "PythonWidgetRenderer" if python else "DjangoTemplates"
            print(
                f"{name:6} {label:22} {wall:8.2f} {statistics.median(cpu(name, python)):8.2f} "
                f"{min(cpu(name, python)):9.2f}   (median of the rounds; {repeat} renders each)"
            )
    # Each round measured both renderers one after the other: their difference in that round
    # is what a busy moment of the machine disturbs least.
    for name, _work, _repeat in cases:
        saved = [slow - fast for slow, fast in zip(cpu(name, False), cpu(name, True), strict=True)]
        share = statistics.median(saved) / statistics.median(cpu(name, False))
        print(
            f"saved per {name}: {statistics.median(saved):.2f} ms CPU (median of the rounds' "
            f"differences; {min(saved):.2f} to {max(saved):.2f}), {share:.0%} of its CPU "
            "with Django's templates"
        )


if __name__ == "__main__":
    main()
