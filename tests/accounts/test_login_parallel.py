"""The login limit holds under parallel requests, against the production server.

gunicorn (several workers, several threads each) serves `atm_support.wsgi` on the test database
and the suite's Redis. Thirty wrong passwords for one account from one address are released at
once: no more than LOGIN_THROTTLE_ACCOUNT_IP_LIMIT of them may reach the password check.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from accounts import throttle
from tests.conftest import _free_port
from tests.factories import PASSWORD, ClientFactory
from tests.notifications.conftest import _database_url, wait_until

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
PARALLEL = 30
WRONG = "Adresse e-mail ou mot de passe incorrect."
LOCKED = "Trop de tentatives de connexion"
# The production hasher, which gunicorn knows (the suite's fast MD5 is this process's only).
PRODUCTION_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


class Gunicorn:
    def __init__(self, log_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "atm_support.settings",
                "DATABASE_URL": _database_url(),  # the test database
                "REDIS_URL": os.environ["REDIS_URL"],  # the cache this test reads
                "STATIC_MANIFEST": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(GUNICORN),
                    "atm_support.wsgi:application",
                    f"--bind=127.0.0.1:{self.port}",
                    # 4 x 4: sixteen requests are inside Django at the same moment.
                    "--workers=4",
                    "--worker-class=gthread",
                    "--threads=4",
                    "--timeout=120",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ready, timeout=120, what=f"gunicorn\n{self.log_tail()}")

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited\n{self.log_tail()}")
        try:
            return requests.get(self.url + "/connexion/", timeout=10).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # still booting, on a busy machine
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def gunicorn(django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    if not os.environ.get("REDIS_URL"):
        pytest.fail("This test needs Redis, shared with gunicorn: set REDIS_URL (make test does).")
    server = Gunicorn(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    server.start()
    try:
        yield server
    finally:
        # Before the test database is dropped: gunicorn's connections would hold it.
        server.stop()


def _browser(server: Gunicorn) -> tuple[requests.Session, str]:
    """A session of its own (its own connection), with the login page's CSRF token."""
    session = requests.Session()
    page = session.get(server.url + "/connexion/", timeout=30)
    assert page.status_code == 200
    marker = 'name="csrfmiddlewaretoken" value="'
    start = page.text.index(marker) + len(marker)
    return session, page.text[start : page.text.index('"', start)]


def _login(server: Gunicorn, session: requests.Session, csrf: str, email: str, password: str):
    return session.post(
        server.url + "/connexion/",
        data={"csrfmiddlewaretoken": csrf, "username": email, "password": password},
        headers={"Referer": server.url + "/connexion/"},
        allow_redirects=False,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)  # committed: gunicorn reads the same database
def test_parallel_wrong_passwords_are_checked_no_more_than_the_limit(gunicorn, settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = ClientFactory(email="paul@boulangerie-martin.fr")
    limit = settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT
    browsers = [_browser(gunicorn) for _ in range(PARALLEL)]
    barrier = threading.Barrier(PARALLEL)
    answers: list[str] = []
    lock = threading.Lock()

    def guess(session: requests.Session, csrf: str) -> None:
        barrier.wait()
        response = _login(gunicorn, session, csrf, user.email, "mauvais-mot-de-passe")
        with lock:
            answers.append(f"{response.status_code} {html.unescape(response.text)}")

    threads = [threading.Thread(target=guess, args=browser) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)

    assert len(answers) == PARALLEL
    wrong = [a for a in answers if a.startswith("200 ") and WRONG in a]
    locked = [a for a in answers if a.startswith("200 ") and LOCKED in a]
    assert len(wrong) + len(locked) == PARALLEL, [a[:200] for a in answers]
    # Each "incorrect" answer is one password check: no more than the limit got one.
    assert 1 <= len(wrong) <= limit, f"{len(wrong)} passwords checked, limit {limit}"
    # The counter saw only the attempts it let through; the refused ones cost nothing.
    [account_ip, *_] = throttle.login_counters(user.email, "127.0.0.1")
    assert throttle.counted(account_ip) == len(wrong)

    # The account is now locked from there, even for its right password.
    session, csrf = _browser(gunicorn)
    response = _login(gunicorn, session, csrf, user.email, PASSWORD)
    assert response.status_code == 200
    assert LOCKED in html.unescape(response.text)
    assert "sessionid" not in session.cookies


@pytest.mark.django_db(transaction=True)
def test_the_right_password_logs_in_through_gunicorn(gunicorn, settings):
    """The set-up is sound: gunicorn sees this test's user and checks its password."""
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = ClientFactory(email="lea@boulangerie-martin.fr")
    session, csrf = _browser(gunicorn)
    response = _login(gunicorn, session, csrf, user.email, PASSWORD)
    assert response.status_code == 302
    assert "sessionid" in session.cookies
