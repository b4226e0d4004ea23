"""Measure `manage.py import_mantis` on the database of bench/mantis_generate.py (issue 11).

    .venv/bin/python bench/mantis_import.py [--source mysql://root@127.0.0.1:3306/mantis_bench]
        [--files-dir /tmp/mantis_bench_files] [--batch-size N] [--profile FILE.prof]
        [--profile-rerun FILE.prof] [--no-rerun] [-- EXTRA IMPORT ARGUMENTS]

Builds its own PostgreSQL database, `atm_bench_mantis` (dropped, created and migrated each time;
nothing else is touched), with its own attachment folder (PRIVATE_MEDIA_ROOT, emptied each time)
and Redis database 4, then runs the command twice as a child process, exactly as an operator
would (`manage.py import_mantis --source … --files-dir …`, stdout not a terminal):

- run 1, the import into the empty database;
- run 2, the same command again with nothing changed in MantisBT: it must write nothing.

Each run is timed by `/usr/bin/time -v` (wall time, CPU time, peak resident memory of the
command; without it, resource.getrusage(RUSAGE_CHILDREN)); rows per table are counted in
PostgreSQL after each run. Goal (issue 11): import under 10 minutes, peak memory under 500 MB,
no-change rerun under 1 minute. `--profile FILE` runs the first import under cProfile instead
(its wall time then includes the profiler's overhead) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.databases import recreate_postgres  # noqa: E402 - after the path fix above

DATABASE = "atm_bench_mantis"
SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/4"
MEDIA = Path(tempfile.gettempdir()) / "atm_bench_mantis_media"
LOGS = Path(tempfile.gettempdir()) / "atm_bench_mantis_logs"
MARKER = ".atm_bench_mantis"
GOAL_IMPORT_S = 600
GOAL_RSS_MB = 500
GOAL_RERUN_S = 60
MANTIS_TABLES = (
    "project",
    "category",
    "user",
    "project_user_list",
    "bug",
    "bug_text",
    "bugnote",
    "bugnote_text",
    "bug_file",
    "bug_history",
    "bug_monitor",
    "bug_relationship",
    "bug_tag",
    "custom_field_string",
    "sponsorship",
)
# The tables the import writes, as `app_label.Model` (counted after each run).
TARGET_MODELS = (
    "accounts.Organisation",
    "accounts.User",
    "tickets.Category",
    "tickets.Ticket",
    "tickets.Note",
    "tickets.Attachment",
    "tickets.HistoryEntry",
    "tickets.Follower",
    "tickets.TicketLink",
    "allowances.AllowanceRevision",
    "allowances.LedgerEntry",
    "mantis.ImportedRow",
)


def environment() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EMAIL_", "ATTACHMENTS_S3_", "CACHE_", "CELERY_"))
    }
    env.update(
        {
            "DATABASE_URL": f"{SERVER}/{DATABASE}",
            "REDIS_URL": REDIS,
            "PRIVATE_MEDIA_ROOT": str(MEDIA),
            "DJANGO_SETTINGS_MODULE": "atm_support.settings",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "STATIC_MANIFEST": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def log(message: str = "") -> None:
    print(message, flush=True)


# --- The source ---------------------------------------------------------------------------------


def source_counts(source: str, files_dir: Path) -> dict[str, int]:
    """Rows of each MantisBT table, and the disk files the rows name but the folder lacks."""
    import pymysql

    url = urlsplit(source)
    connection = pymysql.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=unquote(url.username or "root"),
        password=unquote(url.password or ""),
        database=url.path.lstrip("/"),
        charset="utf8mb4",
    )
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in MANTIS_TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM mantis_{table}_table")  # noqa: S608 - ours
            counts[table] = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT diskfile FROM mantis_bug_file_table WHERE content IS NULL OR content = ''"
        )
        names = [row[0] for row in cursor.fetchall()]
    connection.close()
    present = {path.name for path in files_dir.iterdir()} if files_dir.is_dir() else set()
    counts["bug_file on disk"] = len(names)
    counts["bug_file missing on disk"] = sum(1 for name in names if name not in present)
    return counts


# --- The target ---------------------------------------------------------------------------------


def recreate_media() -> None:
    """Empty the attachment folder, only when it is ours (the marker) or new."""
    if MEDIA.exists():
        if not (MEDIA / MARKER).exists() and any(MEDIA.iterdir()):
            raise SystemExit(f"{MEDIA} is not empty and was not created by this script: refused")
        shutil.rmtree(MEDIA)
    MEDIA.mkdir(parents=True)
    (MEDIA / MARKER).write_text("Created by bench/mantis_import.py; emptied by each run.\n")


def target_counts() -> dict[str, int]:
    """Rows of each written table (run as `--child=counts`, inside Django)."""
    import django

    django.setup()
    from django.apps import apps

    counts = {}
    for label in TARGET_MODELS:
        model = apps.get_model(label)
        counts[label] = model._default_manager.count()
    files = [path for path in MEDIA.rglob("*") if path.is_file() and path.name != MARKER]
    counts["files in storage"] = len(files)
    counts["MB in storage"] = round(sum(path.stat().st_size for path in files) / 1e6)
    return counts


def child_counts() -> dict[str, int]:
    result = subprocess.run(  # noqa: S603 - this very script
        [sys.executable, __file__, "--child=counts"],
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


# --- One measured run ---------------------------------------------------------------------------


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The command's progress line opening each table ("bug_file : 20000 lignes à lire").
STAGE = re.compile(r"^(\w+) : \d+ lignes")


def stat_fields(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process, 0 when unknown or gone."""
    fields = stat_fields(pid) if pid else []
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else 0.0


def reaped_seconds(pid: int | None) -> float:
    """CPU time of the children a process has waited for: PostgreSQL's ended backends."""
    fields = stat_fields(pid) if pid else []
    return (int(fields[13]) + int(fields[14])) / CLOCK_TICKS if fields else 0.0


def machine_busy_seconds() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def postmaster_pid() -> int | None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    connection.close()
    fields = stat_fields(backend)
    return int(fields[1]) if fields else None


def mariadb_pid() -> int | None:
    for path in Path("/proc").glob("[0-9]*/comm"):
        try:
            if path.read_text().strip() in ("mariadbd", "mysqld"):
                return int(path.parent.name)
        except OSError:
            continue
    return None


@dataclass
class Run:
    label: str
    wall_s: float
    cpu_s: float  # the command itself
    peak_rss_mb: float
    returncode: int
    stdout: Path
    stderr: Path
    postgres_cpu_s: float = 0.0  # backends that ended meanwhile (the import's, and others')
    mariadb_cpu_s: float = 0.0  # the whole server (other users of it included)
    machine_cpu_s: float = 0.0  # every process of the machine
    stages: list[tuple[str, float]] = field(default_factory=list)  # (table, seconds)


def measured(label: str, command: list[str]) -> Run:
    """Run `command` in the bench environment: wall time, CPU time and peak RSS of the child."""
    LOGS.mkdir(exist_ok=True)
    stdout, stderr, timing = (LOGS / f"{label}.{kind}" for kind in ("out", "err", "time"))
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        command = [str(gnu_time), "-v", "-o", str(timing), *command]
    postmaster, mariadb = postmaster_pid(), mariadb_pid()
    servers = (reaped_seconds(postmaster), cpu_seconds(mariadb), machine_busy_seconds())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    stages: list[tuple[str, float]] = []
    with stdout.open("wb") as out, stderr.open("w", buffering=1) as err:
        child = subprocess.Popen(  # noqa: S603 - our own command line
            command, env=environment(), stdout=out, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert child.stderr is not None
        # The progress lines, stamped with the time since the start: which table took how long.
        for line in child.stderr:
            elapsed = time.perf_counter() - started
            err.write(f"[{elapsed:7.1f} s] {line}")
            match = STAGE.match(line)
            if match:
                stages.append((match.group(1), elapsed))
        returncode = child.wait()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_kb = float(after.ru_maxrss)  # the largest child so far: right only without GNU time
    if gnu_time.exists():
        text = timing.read_text()
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        if match:
            peak_kb = float(match.group(1))
    run = Run(label, wall, cpu, peak_kb / 1024, returncode, stdout, stderr)
    ends = [at for _, at in stages[1:]] + [wall]
    run.stages = [(table, end - at) for (table, at), end in zip(stages, ends, strict=True)]
    run.postgres_cpu_s = reaped_seconds(postmaster) - servers[0]
    run.mariadb_cpu_s = cpu_seconds(mariadb) - servers[1]
    run.machine_cpu_s = machine_busy_seconds() - servers[2]
    return run


def import_command(args: argparse.Namespace, profile: str | None) -> list[str]:
    python = [sys.executable]
    if profile:
        python += ["-m", "cProfile", "-o", profile]
    command = [*python, "manage.py", "import_mantis", "--source", args.source]
    command += ["--files-dir", str(Path(args.files_dir).resolve())]
    if args.batch_size:
        command += ["--batch-size", str(args.batch_size)]
    return command + list(args.extra)


def tail(path: Path, lines: int) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def print_profile(path: str) -> None:
    log(f"\nprofile {path}: 30 functions by cumulative time, then 30 by own time")
    stats = pstats.Stats(path)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(30)


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="mysql://root@127.0.0.1:3306/mantis_bench")
    parser.add_argument(
        "--files-dir", default=str(Path(tempfile.gettempdir()) / "mantis_bench_files")
    )
    parser.add_argument("--batch-size", type=int, default=0, help="default: the command's")
    parser.add_argument("--profile", help="cProfile output of the first import")
    parser.add_argument("--profile-rerun", help="cProfile output of the rerun")
    parser.add_argument("--no-rerun", action="store_true")
    parser.add_argument("--child", choices=["counts"], help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help="more import_mantis arguments, after --")
    args = parser.parse_args()
    if args.child == "counts":
        os.environ.update(environment())
        print(json.dumps(target_counts()))
        return

    files_dir = Path(args.files_dir)
    log(f"source {args.source}, files {files_dir.resolve()}")
    source = source_counts(args.source, files_dir)
    log("  " + ", ".join(f"{table} {count:,}" for table, count in source.items()))

    started = time.perf_counter()
    recreate_postgres(DATABASE, prefix="atm_bench_mantis")
    recreate_media()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        env=environment(),
        check=True,
        cwd=ROOT,
    )
    log(f"{DATABASE} created and migrated in {time.perf_counter() - started:.1f} s")
    before = child_counts()

    runs: list[Run] = []
    counts: list[dict[str, int]] = []
    first = measured("import", import_command(args, args.profile))
    runs.append(first)
    log(f"import: exit {first.returncode} in {first.wall_s:.1f} s, peak {first.peak_rss_mb:.0f} MB")
    if first.returncode != 0:
        log(tail(first.stderr, 30))
        raise SystemExit("the import failed")
    counts.append(child_counts())
    if not args.no_rerun:
        rerun = measured("rerun", import_command(args, args.profile_rerun))
        runs.append(rerun)
        log(f"rerun: exit {rerun.returncode} in {rerun.wall_s:.1f} s, "
            f"peak {rerun.peak_rss_mb:.0f} MB")  # fmt: skip
        if rerun.returncode != 0:
            log(tail(rerun.stderr, 30))
        counts.append(child_counts())

    read = sum(source[table] for table in MANTIS_TABLES)
    log()
    log(f"## Import of {source['bug']:,} bugs, {source['bugnote']:,} notes, "
        f"{source['bug_file']:,} files ({read:,} MantisBT rows)")  # fmt: skip
    log()
    log(f"- Machine: {os.cpu_count()} CPU, Python {platform.python_version()}, "
        f"code {git_head()}; logs in {LOGS}")  # fmt: skip
    log()
    columns = ["after migrate", "after the import", "after the rerun"][: len(counts) + 1]
    log("| Table | " + " | ".join(columns) + " |")
    log("|---|" + "---:|" * len(columns))
    for key in counts[0]:
        values = [f"{c.get(key, 0):,}" for c in (before, *counts)]
        log(f"| {key} | " + " | ".join(values) + " |")
    log()
    log("| Run | wall time | rows read/s | peak RSS | CPU: command | PostgreSQL | MariaDB "
        "| whole machine | goal |")  # fmt: skip
    log("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for run in runs:
        if run.label == "import":
            goal = run.wall_s < GOAL_IMPORT_S and run.peak_rss_mb < GOAL_RSS_MB
            goal_text = f"< {GOAL_IMPORT_S // 60} min, < {GOAL_RSS_MB} MB"
        else:
            goal = run.wall_s < GOAL_RERUN_S
            goal_text = f"< {GOAL_RERUN_S} s"
        verdict = "met" if goal and run.returncode == 0 else "**NOT met**"
        profile = args.profile if run.label == "import" else args.profile_rerun
        name = f"{run.label} (cProfile)" if profile else run.label
        rate = read / run.wall_s
        log(f"| {name} | {run.wall_s:.1f} s | {rate:,.0f} | {run.peak_rss_mb:.0f} MB "
            f"| {run.cpu_s:.1f} s | {run.postgres_cpu_s:.1f} s | {run.mariadb_cpu_s:.1f} s "
            f"| {run.machine_cpu_s:.1f} s | {goal_text}: {verdict} |")  # fmt: skip
    if len(counts) > 1:
        changed = {
            k: counts[1][k] - counts[0][k] for k in counts[0] if counts[1][k] != counts[0][k]
        }
        log()
        log(f"rows added by the rerun: {changed or 'none'}")
    for run in runs:
        if run.stages:
            log(f"{run.label}, seconds per table (from its progress lines): " + ", ".join(
                f"{table} {seconds:.1f}" for table, seconds in run.stages))  # fmt: skip
    mails = sum(run.stdout.read_text(errors="replace").count("\nSubject: ") for run in runs)
    log(f"mails printed by the console backend: {mails}")
    for run in runs:
        log(f"\nend of the {run.label}'s report ({run.stdout}):")
        log(tail(run.stdout, 25))
    for profile in (args.profile, args.profile_rerun):
        if profile:
            print_profile(profile)


def git_head() -> str:
    result = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return result.stdout.strip()[:80]


if __name__ == "__main__":
    main()
