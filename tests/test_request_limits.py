"""Request bodies are capped before anything reads them (atm_support/middleware.py), and pages of
a signed-in user are kept out of shared caches.

The body tests hand Django a wsgi.input that counts what is read from it, so that "refused
before reading" is checked, not inferred from a status. The gunicorn tests send a real 200 MB
body to a real server and count the bytes it took before answering.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, make_ticket
from tests.utils import text
from tickets.models import Attachment, Impact, Priority, Reproducibility, Ticket

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
REPORT_URL = "/tickets/nouveau/"
LOGIN_URL = "/connexion/"


class CountingInput:
    """A wsgi.input that serves `body` (or `length` zero bytes) and counts what is read."""

    def __init__(self, body: bytes = b"", *, length: int | None = None) -> None:
        self.body = body
        self.length = len(body) if length is None else length
        self.read_bytes = 0

    def _take(self, size: int) -> bytes:
        size = self.length - self.read_bytes if size is None or size < 0 else size
        size = min(size, self.length - self.read_bytes)
        start = self.read_bytes
        self.read_bytes += size
        if self.body:
            return self.body[start : start + size]
        return b"\0" * size

    def read(self, size: int = -1, /) -> bytes:
        return self._take(size)

    def readline(self, size: int = -1, /) -> bytes:
        return self._take(size)


def post_counted(
    client: Client, url: str, *, body: bytes = b"", length: int | None = None, **extra: Any
) -> tuple[Any, CountingInput]:
    """POST a multipart body through a counting wsgi.input; (response, the input)."""
    stream = CountingInput(body, length=length)
    environ = {
        "CONTENT_LENGTH": str(stream.length),
        "CONTENT_TYPE": MULTIPART_CONTENT,
        "wsgi.input": stream,
        **extra,
    }
    response = client.generic("POST", url, b"", **environ)
    return response, stream


def pdf(name: str, size: int) -> Any:
    """An acceptable PDF attachment of `size` bytes (only its head is examined)."""
    head = b"%PDF-1.7\n"
    return SimpleUploadedFile(name, head + b"0" * (size - len(head)), "application/pdf")


def report_data(**extra: Any) -> dict[str, Any]:
    return {
        "category": CategoryFactory(name="Anomalie").pk,
        "reproducibility": Reproducibility.ALWAYS,
        "impact": Impact.MAJOR,
        "priority": Priority.HIGH,
        "summary": "Les exports sont vides",
        "description": "Voici les exports du mois.",
        "steps_to_reproduce": "",
        "additional_information": "",
        **extra,
    }


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    storages = {**settings.STORAGES}
    storages["default"] = {**storages["default"], "OPTIONS": {"location": str(tmp_path / "m")}}
    settings.STORAGES = storages


# --- Content-Length over the cap: 413, nothing read ------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_200_mb_post_to_the_login_page_is_refused_unread() -> None:
    # With its CSRF cookie, as after a first visit: the CSRF check then reads the POST.
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN_URL)
    response, stream = post_counted(client, LOGIN_URL, length=200 * MiB)
    assert response.status_code == 413
    assert stream.read_bytes == 0
    page = text(response)
    assert "Envoi trop volumineux" in page
    assert "2,5 Mo" in page
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_the_413_page_is_french_whatever_language_the_thread_last_spoke(client_user) -> None:
    client_user.language = "en"
    client_user.save()
    client = Client()
    client.force_login(client_user)
    assert client.get("/").headers["Content-Language"] == "en"
    response, _ = post_counted(client, "/mon-compte/", length=3 * MiB)
    assert response.status_code == 413
    assert "Envoi trop volumineux" in text(response)


@pytest.mark.django_db
def test_a_body_within_the_cap_is_read_as_usual() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN_URL)
    body = encode_multipart(BOUNDARY, {"username": "x@example.fr", "password": "y"})
    response, stream = post_counted(client, LOGIN_URL, body=body)
    assert response.status_code == 403  # no CSRF token in it: the CSRF check read the body
    assert stream.read_bytes == len(body)


@pytest.mark.django_db
def test_a_body_without_length_is_refused_with_411_unread() -> None:
    client = Client(enforce_csrf_checks=True)
    stream = CountingInput(length=200 * MiB)
    response = client.generic(
        "POST",
        LOGIN_URL,
        b"",
        CONTENT_TYPE=MULTIPART_CONTENT,
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream},
    )
    assert response.status_code == 411
    assert "Taille de l'envoi manquante" in text(response)
    assert stream.read_bytes == 0


def test_django_reads_no_more_than_content_length(rf: Any) -> None:
    """What the middleware relies on to need no wrapper around wsgi.input: a body that goes on
    past its Content-Length (within the cap) is read up to it and no further."""
    stream = CountingInput(length=200 * MiB)
    request = rf.generic(
        "POST",
        LOGIN_URL,
        b"",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH="1000",
        **{"wsgi.input": stream},
    )
    assert len(request.body) == 1000
    assert stream.read_bytes == 1000


# --- The forms that take attachments get the larger cap ---------------------------------------


@pytest.fixture
def ticket(client_user: Any) -> Ticket:
    return make_ticket(reporter=client_user)


@pytest.fixture
def upload_urls(ticket: Ticket) -> dict[str, str]:
    return {
        "report": REPORT_URL,
        "note": f"/tickets/{ticket.number}/",
        "admin": f"/admin/tickets/ticket/{ticket.pk}/change/",
    }


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["report", "note", "admin"])
def test_upload_forms_take_a_body_above_the_default_cap(
    page, upload_urls, client_user, staff_user
) -> None:
    client = signed_in(staff_user if page == "admin" else client_user)
    field = "notes-0-attachments" if page == "admin" else "attachments"
    body = encode_multipart(BOUNDARY, {"text": "Voici l'export", field: [pdf("a.pdf", 3 * MiB)]})
    response, stream = post_counted(client, upload_urls[page], body=body)
    assert response.status_code != 413
    assert stream.read_bytes == len(body)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["report", "note", "admin"])
def test_upload_forms_refuse_60_mb_unread(page, upload_urls, client_user, staff_user) -> None:
    client = signed_in(staff_user if page == "admin" else client_user)
    response, stream = post_counted(client, upload_urls[page], length=60 * MiB)
    assert response.status_code == 413
    assert stream.read_bytes == 0
    page_text = text(response)
    assert "52,5 Mo" in page_text  # MAX_UPLOAD_REQUEST_BODY: the files' 50 and the fields' 2.5
    assert "joignez moins de fichiers" in page_text


@pytest.mark.django_db
def test_other_pages_of_a_signed_in_user_keep_the_default_cap(client_user) -> None:
    response, stream = post_counted(signed_in(client_user), "/mon-compte/", length=3 * MiB)
    assert response.status_code == 413
    assert stream.read_bytes == 0


@pytest.mark.django_db
def test_the_report_form_accepts_40_mb_of_files(client_user) -> None:
    files = [pdf(f"export-{i}.pdf", 10_000_000) for i in range(4)]
    body = encode_multipart(BOUNDARY, report_data(attachments=files))
    assert 40_000_000 < len(body) < 50 * MiB
    response, stream = post_counted(signed_in(client_user), REPORT_URL, body=body)
    assert response.status_code == 302
    ticket = Ticket.objects.get(summary="Les exports sont vides")
    assert Attachment.objects.filter(ticket=ticket).count() == 4
    assert stream.read_bytes == len(body)


@pytest.mark.django_db
def test_the_report_form_refuses_60_mb_of_files_and_creates_nothing(client_user) -> None:
    files = [pdf(f"export-{i}.pdf", 10_000_000) for i in range(6)]
    body = encode_multipart(BOUNDARY, report_data(attachments=files))
    response, stream = post_counted(signed_in(client_user), REPORT_URL, body=body)
    assert response.status_code == 413
    assert stream.read_bytes == 0
    assert not Ticket.objects.filter(summary="Les exports sont vides").exists()


@pytest.mark.django_db
def test_files_just_over_their_limit_get_the_forms_french_error_with_the_text_kept(
    client_user,
) -> None:
    """The upload cap leaves room above the files' 50 MiB: the form answers, not the 413."""
    files = [pdf(f"export-{i}.pdf", 10 * MiB) for i in range(5)] + [pdf("annexe.pdf", 3 * MiB // 2)]
    body = encode_multipart(BOUNDARY, report_data(attachments=files))
    assert 50 * MiB < len(body) <= django_settings.MAX_UPLOAD_REQUEST_BODY
    response, stream = post_counted(signed_in(client_user), REPORT_URL, body=body)
    page = text(response)
    assert response.status_code == 400  # the report view's answer to an invalid form
    assert "50 Mo au plus par envoi" in page
    assert "Les exports sont vides" in page
    assert "Voici les exports du mois." in page
    assert stream.read_bytes == len(body)
    assert not Ticket.objects.filter(summary="Les exports sont vides").exists()


@pytest.mark.django_db
def test_the_upload_cap_is_read_from_the_settings(settings, client_user) -> None:
    settings.MAX_UPLOAD_REQUEST_BODY = 4 * MiB
    response, stream = post_counted(signed_in(client_user), REPORT_URL, length=5 * MiB)
    assert response.status_code == 413
    assert "4 Mo" in text(response)
    assert stream.read_bytes == 0


# --- A real gunicorn, a real 200 MB body -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gunicorn(django_db_setup: Any, django_db_blocker: Any, tmp_path: Path) -> Iterator[int]:
    """gunicorn serving the project on the test database (a sync worker, as docker-compose)."""
    db = django_settings.DATABASES["default"]
    env = dict(os.environ)
    if db["ENGINE"].endswith("postgresql"):
        user = db["USER"] or "postgres"
        env["DATABASE_URL"] = f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    env.update({"PRIVATE_MEDIA_ROOT": str(tmp_path / "media"), "TMPDIR": str(tmp_path)})
    port = _free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "atm_support.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{LOGIN_URL}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def csrf_cookie(port: int) -> str:
    """The Cookie header of a visitor who saw the login page: with it, the CSRF check of a POST
    reads the body (without, it refuses the POST unread)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{LOGIN_URL}", timeout=5) as response:
        cookies = response.headers.get_all("Set-Cookie") or []
    csrf = next(c.split(";", 1)[0] for c in cookies if c.startswith("csrftoken="))
    return f"Cookie: {csrf}\r\n"


def stream_until_answered(port: int, head: bytes, chunks: Iterator[bytes]) -> tuple[int, bytes]:
    """Send `head`, then `chunks` while the server has not answered; (bytes of body sent, the
    start of the answer). The server answering while we still send is the point."""
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        for chunk in chunks:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break
            if not writable:
                raise AssertionError("the server neither reads nor answers")
            try:
                sent += sock.send(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        with contextlib.suppress(ConnectionResetError):
            answer = sock.recv(65536)
    return sent, answer


def zero_chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    chunk = b"\0" * size
    for _ in range(total // size):
        yield chunk


@pytest.mark.django_db(transaction=True)
def test_gunicorn_answers_413_to_a_200_mb_post_without_reading_it(gunicorn: int) -> None:
    total = 200 * MiB
    part = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    head = (
        f"POST {LOGIN_URL} HTTP/1.1\r\nHost: 127.0.0.1\r\n{csrf_cookie(gunicorn)}"
        f"Content-Type: {MULTIPART_CONTENT}\r\nContent-Length: {len(part) + total}\r\n\r\n"
    ).encode() + part
    sent, answer = stream_until_answered(gunicorn, head, zero_chunks(total))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # What the kernel buffers on the loopback, not 200 MB: the server answered from the header.
    assert sent < 32 * MiB


@pytest.mark.django_db(transaction=True)
def test_gunicorn_answers_411_to_a_chunked_post_without_reading_it(gunicorn: int) -> None:
    head = (
        f"POST {LOGIN_URL} HTTP/1.1\r\nHost: 127.0.0.1\r\n{csrf_cookie(gunicorn)}"
        f"Content-Type: {MULTIPART_CONTENT}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    size = 256 * 1024
    chunk = f"{size:x}\r\n".encode() + b"\0" * size + b"\r\n"
    sent, answer = stream_until_answered(gunicorn, head, (chunk for _ in range(800)))
    assert answer.startswith(b"HTTP/1.1 411"), answer[:200]
    assert sent < 32 * MiB


# --- Cache-Control of a signed-in user's pages -------------------------------------------------


def is_private_no_store(response: Any) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


@pytest.mark.django_db
def test_a_portal_page_is_private_no_store_also_from_the_page_cache(settings, client_user) -> None:
    settings.PAGE_CACHE = True
    make_ticket(reporter=client_user)
    client = signed_in(client_user)
    with CaptureQueriesContext(connection) as first_queries:
        first = client.get("/")
    with CaptureQueriesContext(connection) as again_queries:
        again = client.get("/")
    assert len(again_queries) < len(first_queries)  # the second one came from the page cache
    for response in (first, again):
        assert response.status_code == 200
        assert is_private_no_store(response)
        assert "Cookie" in response["Vary"]


@pytest.mark.django_db
def test_an_admin_page_is_private_no_store(staff_user, ticket) -> None:
    client = signed_in(staff_user)
    for url in ("/admin/", f"/admin/tickets/ticket/{ticket.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200
        assert is_private_no_store(response)


@pytest.mark.django_db
def test_an_attachment_download_is_private_no_store(client_user, ticket) -> None:
    from tickets.attachments import attachments_store, validate_uploads

    files = validate_uploads([pdf("facture.pdf", 1000)])
    (attachment,) = attachments_store(ticket=ticket, files=files, by=client_user)
    response = signed_in(client_user).get(f"/pieces-jointes/{attachment.pk}/")
    assert response.status_code == 200
    assert is_private_no_store(response)
    response.close()


@pytest.mark.django_db
def test_the_anonymous_login_page_keeps_its_own_caching() -> None:
    response = Client().get(LOGIN_URL)
    assert response.status_code == 200
    # Django's never_cache on LoginView, untouched: the middleware adds nothing for visitors.
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.django_db
def test_static_files_keep_whitenoise_caching_for_a_signed_in_user(settings, client_user) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # read when the client builds its middleware
    response = signed_in(client_user).get("/static/css/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response["Cache-Control"]
    response.close()
