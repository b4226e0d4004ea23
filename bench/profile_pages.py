"""Where a page's time goes, in-process: SQL, template rendering, the rest of the Python.

    .venv/bin/python bench/profile_pages.py [--iterations 30] [--cprofile list] [--only home list]

Each page of bench/run.py is requested through Django's test Client (no HTTP server, no
concurrency) as the large organisation's client: CPU and wall time per request, time in SQL
(cursor execute + fetch, measured by a connection wrapper), time in template rendering (its own
SQL, e.g. lazy relations, set apart) and the rest (view, ORM compilation, model instances,
middleware). `--cprofile KEY` adds the 30 most expensive functions of that page.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import build_pages, client_session, dataset_facts, setup_django  # noqa: E402


class Clock:
    """Accumulates SQL time, and how much of it ran while a template was rendering."""

    def __init__(self) -> None:
        self.sql = 0.0
        self.sql_in_render = 0.0
        self.render = 0.0
        self.queries = 0
        self.rendering = 0

    def sql_wrapper(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.sql += elapsed
            self.queries += 1
            if self.rendering:
                self.sql_in_render += elapsed


def patch_template_render(clock: Clock) -> Callable[[], None]:
    """Time the outermost Template.render of the Django backend; returns the undo."""
    from django.template.backends.django import Template

    original = Template.render

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        clock.rendering += 1
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            clock.rendering -= 1
            if not clock.rendering:
                clock.render += time.perf_counter() - started

    Template.render = timed  # type: ignore[method-assign]

    def undo() -> None:
        Template.render = original  # type: ignore[method-assign]

    return undo


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--query", default="facture")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime, cumulative…")
    parser.add_argument("--lines", type=int, default=30, help="functions listed by --cprofile")
    parser.add_argument(
        "--cprofile", default=None, help="a page key to profile function by function"
    )
    args = parser.parse_args(argv)

    connection = setup_django()
    facts = dataset_facts(connection)
    from django.conf import settings
    from django.test import Client

    session_key = client_session(facts["bench_email"])
    pages = [page for page in build_pages(facts, args.query) if page.goal or page.key == "ceiling"]
    if args.only:
        pages = [page for page in pages if page.key in args.only]

    print(
        f"{'page':<52} {'CPU ms':>7} {'wall ms':>8} {'SQL ms':>7} {'queries':>7} "
        f"{'render ms':>9} {'other ms':>8}"
    )
    for page in pages:
        client = Client()
        if page.with_session:
            client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        client.get(page.path)  # compiled templates, open connection
        clock = Clock()
        undo = patch_template_render(clock)
        try:
            with ExitStack() as stack:
                stack.enter_context(connection.execute_wrapper(clock.sql_wrapper))
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(args.iterations):
                    response = client.get(page.path)
                    assert response.status_code == 200, page.path
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            undo()
        n = args.iterations
        render = clock.render - clock.sql_in_render
        other = wall - clock.sql - render
        print(
            f"{page.label:<52} {1000 * cpu / n:7.1f} {1000 * wall / n:8.1f} "
            f"{1000 * clock.sql / n:7.1f} {clock.queries // n:7d} {1000 * render / n:9.1f} "
            f"{1000 * other / n:8.1f}"
        )
        if args.cprofile == page.key:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.iterations):
                client.get(page.path)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(args.sort).print_stats(args.lines)
            print(out.getvalue())


if __name__ == "__main__":
    main()
