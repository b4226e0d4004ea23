"""How the portal starts: `make run`'s embedded SQLite default, a plain `manage.py runserver`
without DEBUG, and DATABASE_URL written for SQLite."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(**overrides: str) -> dict[str, str]:
    """The process environment without the suite's services: the embedded defaults apply."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_HOST", "STATIC_MANIFEST"}
    }
    env.update(overrides)
    return env


def _manage(*command: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


@contextmanager
def _runserver(env: dict[str, str]) -> Iterator[str]:
    """`manage.py runserver` on a free port; yields its address once it answers."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_sqlite_default_migrates_seeds_and_serves_the_login_page(tmp_path):
    env = _environment(SQLITE_PATH=str(tmp_path / "db.sqlite3"), DEBUG="1")
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        _manage(*command, env=env)
    assert (tmp_path / "db.sqlite3").stat().st_size > 0

    with _runserver(env) as address:
        status, body = _get(f"{address}/connexion/")
        assert status == 200
        assert "Connexion" in body
        assert 'name="username"' in body
        status, css = _get(f"{address}/static/css/portal.css")
        assert status == 200
        assert ".state-new" in css


def test_a_plain_runserver_without_debug_or_collectstatic_serves_the_portal(tmp_path):
    """No DEBUG, no collectstatic: the pages answer 200 (not a 500 for a missing manifest),
    with their styles, and the system check says what production should run."""
    static_root = tmp_path / "static"  # empty: collectstatic never ran
    env = _environment(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"), DEBUG="0", STATIC_ROOT=str(static_root)
    )
    checked = _manage("migrate", "--noinput", env=env)
    assert "collectstatic" in checked.stderr, checked.stderr

    with _runserver(env) as address:
        status, body = _get(f"{address}/connexion/")
        assert status == 200, body
        assert 'name="username"' in body
        stylesheet = re.search(r'href="(/static/css/portal[^"]*\.css)"', body)
        assert stylesheet, body
        status, css = _get(address + stylesheet.group(1))
        assert status == 200
        assert ".state-new" in css
    assert not (static_root / "staticfiles.json").exists()


def test_after_collectstatic_the_pages_link_hashed_files_without_warning(tmp_path):
    static_root = tmp_path / "static"
    env = _environment(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"), DEBUG="0", STATIC_ROOT=str(static_root)
    )
    _manage("collectstatic", "--noinput", env=env)
    checked = _manage("migrate", "--noinput", env=env)
    assert "collectstatic" not in checked.stderr, checked.stderr

    with _runserver(env) as address:
        status, body = _get(f"{address}/connexion/")
        assert status == 200, body
        hashed = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', body)
        assert hashed, body
        status, css = _get(address + hashed.group(1))
        assert status == 200
        assert ".state-new" in css


def test_database_url_accepts_an_absolute_sqlite_path(tmp_path):
    database = tmp_path / "données" / "portail.sqlite3"
    env = _environment(DATABASE_URL=f"sqlite:///{database}")  # sqlite:////tmp/...: absolute
    assert str(database).startswith("/")

    _manage("migrate", "--noinput", env=env)

    assert database.stat().st_size > 0
    tables = _manage("inspectdb", "tickets_ticket", env=env).stdout
    assert "class TicketsTicket" in tables


def test_database_url_accepts_a_sqlite_path_relative_to_the_working_directory(tmp_path):
    env = _environment(DATABASE_URL="sqlite:///var/portail.sqlite3")

    _manage("migrate", "--noinput", env=env, cwd=tmp_path)

    assert (tmp_path / "var" / "portail.sqlite3").stat().st_size > 0


def test_database_url_with_another_scheme_says_which_are_accepted(tmp_path):
    env = _environment(DATABASE_URL="mysql://root@127.0.0.1/atm")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "unsupported scheme 'mysql'" in result.stderr
    assert "sqlite:////absolute/path.sqlite3" in result.stderr
