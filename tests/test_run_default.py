"""`make run`'s embedded default: without DATABASE_URL it migrates SQLite and serves the portal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sqlite_default_migrates_seeds_and_serves_the_login_page(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_HOST"}
    }
    env.update({"SQLITE_PATH": str(tmp_path / "db.sqlite3"), "DEBUG": "1"})
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    assert (tmp_path / "db.sqlite3").stat().st_size > 0

    port = _free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion/", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "Connexion" in body
        assert 'name="username"' in body
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/css/portal.css", timeout=2
        ) as css:
            assert b".state-new" in css.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
