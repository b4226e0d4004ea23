"""Measure the portal's pages under gunicorn with wrk, next to a bare Django view (the ceiling).

    .venv/bin/python bench/run.py [--workers 4 --worker-class sync] [--duration 10] [--explain]

Needs the data set of bench/build_dataset.py (database atm_bench, or DATABASE_URL=...atm_bench*)
and wrk (`apt-get install -y wrk`). Only 127.0.0.1 is ever contacted.

For a client of the large organisation, whose session is created directly in the database, every
page is first fetched once (it must answer 200 with the expected content, not the login page),
then its queries are counted through Django's test Client, then wrk loads it for `--duration`
seconds with `--connections` connections. The ceiling is a view doing one tiny query through the
whole middleware stack, requested without a session, measured first and last: the pages' goal is
at least 20 % of its requests/s and a p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/atm_bench"
BENCH_REDIS_URL = "redis://127.0.0.1:6379/14"
META_TABLE = "bench_dataset"
HOST = "127.0.0.1"
GOAL_SHARE = 0.20
GOAL_P99_MS = 100.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(message: str = "") -> None:
    print(message, file=sys.stderr, flush=True)


# --- the pages -----------------------------------------------------------------------------


Check = Callable[[str], str | None]  # the body → what is wrong with it, or None


def contains(*markers: str) -> Check:
    def check(body: str) -> str | None:
        missing = [marker for marker in markers if marker not in body]
        return f"missing {missing!r}" if missing else None

    return check


def note_count(expected: int) -> Check:
    def check(body: str) -> str | None:
        found = len(re.findall(r'<article class="note[" ]', body))
        return None if found == expected else f"{found} notes shown, {expected} expected"

    return check


def all_of(*checks: Check) -> Check:
    def check(body: str) -> str | None:
        for one in checks:
            problem = one(body)
            if problem:
                return problem
        return None

    return check


@dataclass
class Page:
    key: str
    label: str
    path: str
    check: Check
    with_session: bool = True
    goal: bool = True  # the ceilings are references, not pages held to the goal


@dataclass
class Result:
    page: Page
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0  # non-2xx/3xx answers and socket errors
    queries: int = 0  # a first view (page cache empty)
    queries_again: int = 0  # the same page seen again (served from the page cache when on)
    sql_ms: float = 0.0
    app_cpu_ms: float = 0.0  # gunicorn CPU time per request
    db_cpu_ms: float = 0.0  # PostgreSQL CPU time per request
    others_share: float = 0.0  # share of the machine other processes used meanwhile
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def share(self, ceiling: float) -> float:
        return self.rps / ceiling if ceiling else 0.0

    def meets(self, ceiling: float) -> bool:
        return self.share(ceiling) >= GOAL_SHARE and self.p99_ms < GOAL_P99_MS and not self.errors


# --- wrk -----------------------------------------------------------------------------------

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
TOTAL = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class WrkFigures:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def parse_wrk(output: str) -> WrkFigures:
    percentiles = {
        int(match.group(1)): float(match.group(2)) * UNIT_MS[match.group(3)]
        for match in PERCENTILE.finditer(output)
    }
    rps = RPS.search(output)
    total = TOTAL.search(output)
    if rps is None or total is None or 50 not in percentiles or 99 not in percentiles:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = 0
    non_2xx = NON_2XX.search(output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = SOCKET_ERRORS.search(output)
    if socket_errors:
        # A sync worker closes each connection after its answer: wrk may count a few "read"
        # errors when it reuses one the server just closed; connect and timeout ones matter.
        errors += int(socket_errors.group(1)) + int(socket_errors.group(4))
    return WrkFigures(
        rps=float(rps.group(1)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        requests=int(total.group(1)),
        errors=errors,
    )


def wrk(url: str, cookie: str | None, args: argparse.Namespace, seconds: float) -> str:
    command = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{max(int(seconds), 1)}s",
        "--timeout",
        "30s",  # a slow answer counts in the latency instead of vanishing as a timeout
        "--latency",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    completed = subprocess.run(  # noqa: S603 - our own arguments, no shell
        command, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr}")
    return completed.stdout


# --- processes and CPU time ----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def reaped_children_seconds(pid: int) -> float:
    """CPU time of the children a process has waited for (cutime + cstime), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[13]) + int(fields[14])) / CLOCK_TICKS


def parent(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    return None


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ValueError):
            continue
    return found


def machine_busy_seconds() -> float:
    """CPU time every process of the machine spent so far (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def wait_for_quiet(threshold: float, timeout: float) -> float:
    """Wait (up to `timeout` s) for a second when the machine is busy less than `threshold`.

    The benchmark is idle meanwhile, so what is busy is someone else (tests, builds): measuring
    then would credit their CPU time to the pages. Returns the last busy share seen.
    """
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + timeout
    while True:
        before = machine_busy_seconds()
        time.sleep(1)
        busy = (machine_busy_seconds() - before) / cores
        if busy < threshold or time.monotonic() > deadline:
            return busy


def benchmark_backends() -> list[int]:
    """The PostgreSQL backends serving the benchmark database (the workers' connections)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [int(row[0]) for row in cursor.fetchall()]


@dataclass(frozen=True)
class CpuSample:
    app: float  # gunicorn, master and workers
    database: dict[int, float]  # per backend of the benchmark database
    # Parallel query workers live a few ms: their CPU time is read once the postmaster has
    # reaped them (with any other backend that ended meanwhile, hence a quiet machine).
    reaped: float
    tools: float  # wrk and this script (children already waited for)
    machine: float  # everything, other people's work included


class CpuMeter:
    """Where the machine's CPU time goes while a page is measured."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.postmaster: int | None = None

    def read(self) -> CpuSample:
        server = [self.server_pid, *children(self.server_pid)]
        children_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_usage = resource.getrusage(resource.RUSAGE_SELF)
        backends = benchmark_backends()
        if self.postmaster is None and backends:
            self.postmaster = parent(backends[0])
        return CpuSample(
            app=sum(cpu_seconds(pid) for pid in server),
            database={pid: cpu_seconds(pid) for pid in backends},
            reaped=reaped_children_seconds(self.postmaster) if self.postmaster else 0.0,
            tools=children_usage.ru_utime
            + children_usage.ru_stime
            + own_usage.ru_utime
            + own_usage.ru_stime,
            machine=machine_busy_seconds(),
        )

    @staticmethod
    def database_delta(before: CpuSample, after: CpuSample) -> float:
        """Backends opened meanwhile count from zero; parallel workers once reaped."""
        backends = sum(
            max(seconds - before.database.get(pid, 0.0), 0.0)
            for pid, seconds in after.database.items()
        )
        return backends + max(after.reaped - before.reaped, 0.0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fetch(port: int, path: str, cookie: str | None, timeout: float = 30) -> tuple[int, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


class Server:
    """gunicorn on a free loopback port, with the benchmark's settings."""

    def __init__(self, args: argparse.Namespace, log_path: Path) -> None:
        self.port = args.port or free_port()
        self.log_path = log_path
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.command = [
            str(gunicorn if gunicorn.exists() else "gunicorn"),
            "atm_support.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "--error-logfile",
            str(log_path),
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env)  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early, see {self.log_path}")
            try:
                status, _ = fetch(self.port, "/bench/ceiling/", None, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s, see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- Django side: data, session, query counts, plans ---------------------------------------


def setup_django() -> Any:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not str(name).startswith("atm_bench"):
        raise SystemExit(f"bench/run.py only runs on a PostgreSQL atm_bench* database, not {name}")
    return connection


def dataset_facts(connection: Any) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cursor.fetchone()[0] is None:
            raise SystemExit(
                "No complete data set here: run bench/build_dataset.py (with --reset) first."
            )
        cursor.execute(f"SELECT key, value FROM {META_TABLE}")  # noqa: S608
        return dict(cursor.fetchall())


def check_migrations(connection: Any) -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan)
        raise SystemExit(
            f"The data set misses migrations ({names}): run "
            "`DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python manage.py migrate` "
            "or rebuild it with bench/build_dataset.py --reset."
        )


def client_session(email: str) -> str:
    """A signed-in session for `email`, written straight into the session store."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    user = User.objects.get(email=email)
    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    assert session.session_key is not None
    return session.session_key


def build_pages(facts: dict[str, str], query: str) -> list[Page]:
    from urllib.parse import urlencode

    from tickets.models import Category, Priority

    category = Category.objects.order_by("position", "pk").first()
    category_id = category.pk if category else ""
    reference = facts["reference_ticket"]
    filtered = urlencode({"closed": "on", "category": category_id, "priority": Priority.HIGH.value})
    listing = contains('id="tl-results-title"', 'class="tl-row')
    return [
        Page("ceiling", "Plafond : vue nue, 1 requête SQL", "/bench/ceiling/",
             contains("ceiling"), with_session=False, goal=False),
        Page("ceiling_session", "Plafond + session (référence)", "/bench/ceiling/",
             contains("ceiling"), goal=False),
        Page("home", "Accueil", "/", contains('id="state-counts"', 'id="last-login"')),
        Page("my_view", "Mon affichage", "/mon-affichage/",
             contains('id="box-new"', 'id="box-recent"')),
        Page("list", "Afficher les tickets (1re page)", "/tickets/", listing),
        Page("list_filtered", "Liste filtrée (catégorie, priorité, fermés inclus)",
             f"/tickets/?{filtered}", listing),
        Page("list_search", f"Recherche texte « {query} »", f"/tickets/?{urlencode({'q': query})}",
             listing),
        Page("list_page200", "Liste, page 200 (fermés inclus)", "/tickets/?closed=on&page=200",
             all_of(listing, contains("page 200 sur"))),
        Page("detail", "Page d'un ticket (50 notes)", f"/tickets/{reference}/",
             all_of(contains('id="notes"', 'id="history-title"'), note_count(50))),
    ]  # fmt: skip


Timed = list[tuple[float, str]]  # (milliseconds, SQL)


def count_queries(page: Page, session_key: str | None) -> tuple[int, int, float, Timed]:
    """A first view through the test Client (page cache emptied): its queries, their time, the
    slowest three; and the number of queries of the same page seen again."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if page.with_session and session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    client.get(page.path)  # warm: templates compiled, connection open
    cache.clear()  # the benchmark's own Redis database (BENCH_REDIS_URL)
    durations: list[float] = []

    def timed(execute: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            durations.append(1000 * (time.perf_counter() - started))

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
        response = client.get(page.path)
    if response.status_code != 200:
        raise SystemExit(f"{page.path}: test Client got {response.status_code}")
    texts = [query["sql"] for query in captured.captured_queries]
    if len(durations) != len(texts):  # not expected; fall back on the debug cursor's ms
        durations = [1000 * float(query["time"]) for query in captured.captured_queries]
    timed_queries = list(zip(durations, texts, strict=True))
    with CaptureQueriesContext(connection) as again:
        client.get(page.path)
    slowest = sorted(timed_queries, reverse=True)[:3]
    return len(texts), len(again.captured_queries), sum(durations), slowest


def explain(sql_text: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql_text}")
        return "\n".join(row[0] for row in cursor.fetchall())


# --- the report ----------------------------------------------------------------------------


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPU ({model or platform.machine()}), {memory:.0f} GiB"


def git_revision() -> str:
    def git(*arguments: str) -> str:
        completed = subprocess.run(  # noqa: S603
            ["git", *arguments],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return completed.stdout.strip()

    head = git("log", "-1", "--format=%h %s")
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench")
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def table(results: list[Result], ceiling: float) -> list[str]:
    lines = [
        "| Page | req/s | % plafond | p50 ms | p99 ms | requêtes SQL (revue) | SQL ms "
        "| CPU app ms/req | CPU PG ms/req | CPU autres | Objectif |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        if result.page.goal:
            verdict = "oui" if result.meets(ceiling) else "**NON**"
        else:
            verdict = "référence"
        if result.errors:
            verdict += f" ({result.errors} erreurs)"
        lines.append(
            f"| {result.page.label} | {result.rps:,.0f} | {100 * result.share(ceiling):.0f} % "
            f"| {result.p50_ms:.1f} | {result.p99_ms:.1f} "
            f"| {result.queries} ({result.queries_again}) "
            f"| {result.sql_ms:.1f} | {result.app_cpu_ms:.2f} | {result.db_cpu_ms:.2f} "
            f"| {100 * result.others_share:.0f} % | {verdict} |"
        )
    return lines


def both_modes_table(results_of: dict[str, dict[str, Result]], ceiling: float) -> list[str]:
    """The two modes side by side, page by page: the goal is the rendered page's (cache off)."""
    on, off = results_of["on"], results_of["off"]
    lines = [
        "| Page | cache actif : req/s | % plafond | p99 ms | cache coupé : req/s | % plafond "
        "| p99 ms | CPU app ms/req (actif / coupé) | Objectif, cache coupé |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, kept in on.items():
        rendered = off.get(key)
        if rendered is None or not kept.page.goal:
            continue
        verdict = "oui" if rendered.meets(ceiling) else "**NON**"
        lines.append(
            f"| {kept.page.label} | {kept.rps:,.0f} | {100 * kept.share(ceiling):.0f} % "
            f"| {kept.p99_ms:.1f} | {rendered.rps:,.0f} | {100 * rendered.share(ceiling):.0f} % "
            f"| {rendered.p99_ms:.1f} | {kept.app_cpu_ms:.2f} / {rendered.app_cpu_ms:.2f} "
            f"| {verdict} |"
        )
    return lines


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2 * cores, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--port", type=int, default=0, help="0: a free loopback port")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--duration", type=float, default=10, help="seconds measured per page")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each")
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure each page N times, keep the best"
    )
    parser.add_argument("--query", default="facture", help="the text searched on the list page")
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=0.15,
        help="before each measure, wait for the machine to be less busy than this (1: never)",
    )
    parser.add_argument(
        "--quiet-timeout", type=float, default=180, help="seconds to wait for that, at most"
    )
    parser.add_argument(
        "--page-cache",
        choices=["on", "off", "both"],
        default="on",
        help="the pages' HTML cache (atm_support/pagecache.py), in Redis db BENCH_REDIS_URL; "
        "on: what a client gets from a page seen again, off: the cost of rendering it, "
        "both: on then off in one run (two servers, one after the other, the ceiling measured "
        "at the start of the first and at the end of the second)",
    )
    parser.add_argument("--only", nargs="*", default=None, help="page keys (ceiling is kept)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE slow queries")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results.md", help="Markdown copy"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), then run again."
        )
    # The benchmark's own Redis database: its page cache is emptied below, nobody else's.
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL") or BENCH_REDIS_URL
    modes = ["on", "off"] if args.page_cache == "both" else [args.page_cache]
    # The query counts below: those of a first view, and of the page seen again when kept.
    os.environ["PAGE_CACHE"] = "1" if "on" in modes else "0"
    connection = setup_django()
    from django.core.cache import cache

    cache.clear()  # the query counts below are those of a first view (nothing kept yet)
    facts = dataset_facts(connection)
    check_migrations(connection)
    session_key = client_session(facts["bench_email"])
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    pages = build_pages(facts, args.query)
    if args.only:
        pages = [page for page in pages if page.key in {"ceiling", *args.only}]
    results_of = {mode: {page.key: Result(page) for page in pages} for mode in modes}

    load_at_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    revision = git_revision()  # the code gunicorn loads now, not what is committed meanwhile
    log("counting queries (one request each, Django test Client)...")
    for page in pages:
        counted = count_queries(page, session_key)
        for mode in modes:
            result = results_of[mode][page.key]
            result.queries, result.queries_again, result.sql_ms, result.slowest = counted
            if mode == "off" and page.goal:  # nothing kept: seen again, rendered again
                result.queries_again = result.queries
    connection.close()

    ceiling_runs: list[float] = []
    for index, mode in enumerate(modes):
        os.environ["PAGE_CACHE"] = "1" if mode == "on" else "0"
        order = list(pages)
        if order and order[0].key == "ceiling":
            # The ceiling first and last of the run: before the first mode, after the last.
            if index > 0:
                order = order[1:]
            if index == len(modes) - 1:
                order.append(pages[0])
        measure(args, mode, pages, order, cookie, results_of[mode], ceiling_runs)
    wrk_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report_run(args, facts, revision, load_at_start, results_of, ceiling_runs, wrk_usage)


def measure(
    args: argparse.Namespace,
    mode: str,
    pages: list[Page],
    order: list[Page],
    cookie: str,
    results: dict[str, Result],
    ceiling_runs: list[float],
) -> None:
    """One gunicorn with the page cache `mode` (PAGE_CACHE set by the caller): every page
    checked, then each page of `order` loaded by wrk into `results`."""
    log_path = ROOT / "bench" / ("gunicorn.log" if mode == "on" else f"gunicorn-{mode}.log")
    server = Server(args, log_path)
    log(f"page cache {mode}; starting: {' '.join(server.command)}")
    try:
        server.start()
        for page in pages:
            status, body = fetch(server.port, page.path, cookie if page.with_session else None)
            problem = None if status == 200 else f"HTTP {status}"
            problem = problem or page.check(body)
            if problem:
                raise SystemExit(f"{page.path} is not the expected page: {problem}")
        log("every page answers 200 with its content; measuring...")
        # Every worker opens its connection during the warm-up of the first page.
        wrk(f"http://{HOST}:{server.port}/bench/ceiling/", None, args, max(args.warmup, 1))
        meter = CpuMeter(server.pid)
        for page in order:
            url = f"http://{HOST}:{server.port}{page.path}"
            page_cookie = cookie if page.with_session else None
            if args.warmup:
                wrk(url, page_cookie, args, args.warmup)
            best: tuple[WrkFigures, CpuSample, CpuSample] | None = None
            for _ in range(args.repeat):
                if args.quiet_threshold < 1:
                    wait_for_quiet(args.quiet_threshold, args.quiet_timeout)
                before = meter.read()
                figures = parse_wrk(wrk(url, page_cookie, args, args.duration))
                after = meter.read()
                if best is None or figures.rps > best[0].rps:
                    best = (figures, before, after)
            assert best is not None
            figures, before, after = best
            result = results[page.key]
            requests = max(figures.requests, 1)
            app = after.app - before.app
            database = CpuMeter.database_delta(before, after)
            tools = after.tools - before.tools
            others = (after.machine - before.machine) - app - database - tools
            result.app_cpu_ms = 1000 * app / requests
            result.db_cpu_ms = 1000 * database / requests
            result.others_share = max(others, 0.0) / (args.duration * (os.cpu_count() or 1))
            result.rps, result.p50_ms, result.p99_ms = figures.rps, figures.p50_ms, figures.p99_ms
            result.requests, result.errors = figures.requests, figures.errors
            if page.key == "ceiling":
                ceiling_runs.append(figures.rps)
            log(
                f"  {page.label:<52} {figures.rps:8.0f} req/s  p50 {figures.p50_ms:6.1f} ms  "
                f"p99 {figures.p99_ms:6.1f} ms  (other processes: "
                f"{100 * result.others_share:.0f} % of the CPU)"
            )
    finally:
        server.stop()


def report_run(
    args: argparse.Namespace,
    facts: dict[str, str],
    revision: str,
    load_at_start: str,
    results_of: dict[str, dict[str, Result]],
    ceiling_runs: list[float],
    wrk_usage: Any,
) -> None:
    quiet = (
        f", chacune lancée quand la machine est occupée à moins de {args.quiet_threshold:.0%}"
        f" (attente {args.quiet_timeout:g} s au plus)"
        if args.quiet_threshold < 1
        else ""
    )
    ceiling = sum(ceiling_runs) / len(ceiling_runs) if ceiling_runs else 0.0
    for results in results_of.values():
        if "ceiling" in results and ceiling_runs:
            results["ceiling"].rps = ceiling
    cache_said = {
        "on": "**actif** (chaque page est vue à nouveau : le HTML gardé est servi)",
        "off": "**coupé** (chaque page est rendue à chaque requête)",
    }
    tables: list[str] = []
    if len(results_of) > 1:
        tables += [*both_modes_table(results_of, ceiling), ""]
    for mode, results in results_of.items():
        if len(results_of) > 1:
            tables += [f"### Cache des pages {cache_said[mode].split(' (')[0]}", ""]
        tables += [*table(list(results.values()), ceiling), ""]
    report = [
        f"## Résultats du {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"- Machine : {machine()}, Python {platform.python_version()}, PostgreSQL on 127.0.0.1",
        f"- Code : {revision}",
        f"- Données : {int(facts['organisations']):,} organisations, "
        f"{int(facts['tickets']):,} tickets, {int(facts['notes']):,} notes "
        f"(historique : {facts['history']}), construites en {facts['build_seconds']} s "
        f"le {facts['built_at']}",
        f"- Serveur : gunicorn {args.workers} workers {args.worker_class}"
        f"{f' x {args.threads} threads' if args.worker_class == 'gthread' else ''}, "
        "DEBUG=False, CONN_MAX_AGE=600, cache des pages "
        + " puis ".join(cache_said[mode] for mode in results_of)
        + (" : deux serveurs, l'un après l'autre" if len(results_of) > 1 else ""),
        f"- Charge : wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration:g}s "
        f"--latency (après {args.warmup:g} s de chauffe"
        f"{f', meilleure de {args.repeat} mesures' if args.repeat > 1 else ''}"
        f"{quiet}), "
        f"client {facts['bench_email']}, load average au départ {load_at_start}",
        f"- Plafond : {' puis '.join(f'{rps:,.0f}' for rps in ceiling_runs)} req/s "
        f"(moyenne {ceiling:,.0f}) ; objectif : ≥ {GOAL_SHARE:.0%} du plafond "
        f"({GOAL_SHARE * ceiling:,.0f} req/s) et p99 < {GOAL_P99_MS:.0f} ms",
        "",
        *tables,
        "Requêtes, SQL ms : nombre et durée des requêtes SQL d'une requête HTTP isolée (Client de "
        "test), faite le cache des pages vide (une première vue) ; entre parenthèses, le nombre "
        "de requêtes de la même page vue à nouveau. "
        "CPU app / PG : temps CPU de gunicorn / des connexions PostgreSQL de la base de "
        "benchmark (et de ses workers parallèles) pendant la mesure, divisé par le nombre de "
        "requêtes. CPU autres : part de la "
        "machine prise par d'autres processus pendant la mesure (hors wrk et ce script : "
        f"{wrk_usage.ru_utime + wrk_usage.ru_stime:.0f} s CPU au total) ; au-delà de quelques %, "
        "les req/s sont sous-estimés.",
        "",
        "### Requêtes SQL les plus lentes par page",
        "",
    ]
    results = next(iter(results_of.values()))  # the first view's queries: the same in each mode
    for result in results.values():
        if not result.page.goal:
            continue
        report.append(f"- **{result.page.label}** (`{result.page.path}`)")
        for ms, sql_text in result.slowest:
            report.append(
                f"  - {ms:.1f} ms : `{sql_text[:300]}{'…' if len(sql_text) > 300 else ''}`"
            )
    if args.explain:
        report += ["", "### EXPLAIN ANALYZE de la requête la plus lente de chaque page", ""]
        for result in results.values():
            if result.page.goal and result.slowest:
                report += [
                    f"#### {result.page.label}",
                    "",
                    "```",
                    explain(result.slowest[0][1]),
                    "```",
                    "",
                ]
    text = "\n".join(report) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text)
        log(f"written to {args.output}")


if __name__ == "__main__":
    main()
