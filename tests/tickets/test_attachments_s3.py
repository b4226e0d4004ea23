"""Attachments on S3-compatible object storage: the same form, the same checked download view.

The bucket is served by a real S3 HTTP server on 127.0.0.1: moto's `moto.server` in its own
process (MinIO cannot be installed here; moto comes from PyPI and speaks the S3 REST protocol,
signatures and object ACLs included). The storage is the one atm_support/settings.py builds from
the ATTACHMENTS_S3_* variables, read by running the settings file with them set.
"""

from __future__ import annotations

import hashlib
import io
import runpy
import secrets
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from storages.backends.s3 import S3Storage

from tests.factories import CategoryFactory, ClientFactory
from tests.tickets.test_attachments import PDF, image_bytes
from tests.tickets.test_report_form import valid_post
from tests.utils import text
from tickets import orphans
from tickets.backups import BackupError, attachments_archive, attachments_unpack
from tickets.models import Attachment, Ticket

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS_FILE = ROOT / "atm_support" / "settings.py"
KEYS = {"ATTACHMENTS_S3_ACCESS_KEY": "portail-test", "ATTACHMENTS_S3_SECRET_KEY": "secret-test"}
PREFIX = "portail"
PNG = image_bytes("PNG", (64, 48))

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server, in its own process on a free port of 127.0.0.1."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # readiness, not speed: up to a minute on a loaded machine
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(endpoint + "/moto-api/", timeout=5):
                    break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"moto did not answer: {log.read_text()}")
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-3",
        aws_access_key_id=KEYS["ATTACHMENTS_S3_ACCESS_KEY"],
        aws_secret_access_key=KEYS["ATTACHMENTS_S3_SECRET_KEY"],
    )


def new_bucket(endpoint: str) -> str:
    name = f"atm-pj-{secrets.token_hex(6)}"
    s3_client(endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    return name


def storage_from_settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> dict[str, Any]:
    """STORAGES["default"] as atm_support/settings.py builds it from these variables."""
    with monkeypatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))["STORAGES"]["default"]


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    name = new_bucket(s3_endpoint)
    default = storage_from_settings(
        monkeypatch,
        ATTACHMENTS_S3_BUCKET=name,
        ATTACHMENTS_S3_PREFIX=PREFIX,
        ATTACHMENTS_S3_ENDPOINT_URL=s3_endpoint,
        ATTACHMENTS_S3_REGION="eu-west-3",
        **KEYS,
    )
    settings.STORAGES = {**settings.STORAGES, "default": default}
    return name


def report(client: Any, *files: SimpleUploadedFile) -> Ticket:
    response = client.post(
        "/tickets/nouveau/", {**valid_post(CategoryFactory(name="Anomalie")), "attachments": files}
    )
    assert response.status_code == 302, text(response)
    return Ticket.objects.get()


def uploads() -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile("facture.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("écran.png", PNG, content_type="image/png"),
    ]


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_settings_keep_attachments_on_local_disk_without_a_bucket(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = storage_from_settings(
        monkeypatch, ATTACHMENTS_S3_BUCKET="", PRIVATE_MEDIA_ROOT=str(tmp_path)
    )
    assert default == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }


def test_a_report_with_files_stores_them_in_the_bucket_and_the_view_serves_them(
    client: Any, client_user: Any, bucket: str, s3_endpoint: str
) -> None:
    client.force_login(client_user)
    ticket = report(client, *uploads())

    pdf, png = Attachment.objects.filter(ticket=ticket).order_by("pk")
    s3 = s3_client(s3_endpoint)
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {
        f"{PREFIX}/{pdf.file.name}",
        f"{PREFIX}/{png.file.name}",
        f"{PREFIX}/{png.thumbnail.name}",
    }
    assert s3.get_object(Bucket=bucket, Key=f"{PREFIX}/{pdf.file.name}")["Body"].read() == PDF

    response = client.get(f"/pieces-jointes/{pdf.pk}/")
    assert response.status_code == 200
    assert hashlib.sha256(body(response)).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))
    assert response["Content-Disposition"] == 'attachment; filename="facture.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    image = client.get(f"/pieces-jointes/{png.pk}/")
    assert (image.status_code, body(image)) == (200, PNG)
    thumbnail = client.get(f"/pieces-jointes/{png.pk}/miniature/")
    assert (thumbnail.status_code, body(thumbnail)[:8]) == (200, b"\x89PNG\r\n\x1a\n")

    # The page links to the view only: no address of the bucket, no signed URL.
    page = text(client.get(ticket.get_absolute_url()))
    assert f"/pieces-jointes/{pdf.pk}/" in page
    assert s3_endpoint not in page
    assert bucket not in page
    assert "X-Amz-" not in page


def test_another_organisations_client_gets_a_404_for_a_file_in_the_bucket(
    client: Any, client_user: Any, other_organisation: Any, bucket: str
) -> None:
    client.force_login(client_user)
    ticket = report(client, *uploads())
    pdf, png = Attachment.objects.filter(ticket=ticket).order_by("pk")

    client.force_login(ClientFactory(organisation=other_organisation))
    for url in (f"/pieces-jointes/{pdf.pk}/", f"/pieces-jointes/{png.pk}/miniature/"):
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(f"/pieces-jointes/{pdf.pk}/").status_code == 302  # to the login page


def test_objects_in_the_bucket_are_not_readable_without_credentials(
    client: Any, client_user: Any, bucket: str, s3_endpoint: str
) -> None:
    client.force_login(client_user)
    ticket = report(client, *uploads())
    pdf = Attachment.objects.filter(ticket=ticket).order_by("pk").first()
    key = f"{PREFIX}/{pdf.file.name}"

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{bucket}/{key}", timeout=10)
    assert refused.value.code == 403
    grants = s3_client(s3_endpoint).get_object_acl(Bucket=bucket, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner's alone
    assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers, no group

    # The server does serve anonymous readers what is public: the 403 is the object's privacy.
    s3_client(s3_endpoint).put_object(
        Bucket=bucket, Key="public/test.txt", Body=b"public", ACL="public-read"
    )
    with urllib.request.urlopen(f"{s3_endpoint}/{bucket}/public/test.txt", timeout=10) as public:
        assert public.read() == b"public"


def test_a_file_missing_from_the_bucket_is_a_404(
    client: Any, client_user: Any, bucket: str, s3_endpoint: str
) -> None:
    client.force_login(client_user)
    ticket = report(client, SimpleUploadedFile("facture.pdf", PDF))
    pdf = Attachment.objects.get(ticket=ticket)
    s3_client(s3_endpoint).delete_object(Bucket=bucket, Key=f"{PREFIX}/{pdf.file.name}")

    assert client.get(f"/pieces-jointes/{pdf.pk}/").status_code == 404


def test_a_backup_of_the_bucket_restores_into_another_empty_bucket(
    client: Any, client_user: Any, bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    client.force_login(client_user)
    ticket = report(client, *uploads())
    archive = tmp_path / "attachments.tar"

    assert (
        attachments_archive(storage=storages["default"], path=archive, mtime=ticket.created_at) == 3
    )

    with tarfile.open(archive) as tar:
        names = sorted(tar.getnames())
    stored = Attachment.objects.filter(ticket=ticket)
    assert names == sorted(
        [str(a.file.name) for a in stored] + [str(a.thumbnail.name) for a in stored if a.thumbnail]
    )
    target_bucket = new_bucket(s3_endpoint)
    target = S3Storage(
        bucket_name=target_bucket,
        endpoint_url=s3_endpoint,
        region_name="eu-west-3",
        access_key=KEYS["ATTACHMENTS_S3_ACCESS_KEY"],
        secret_key=KEYS["ATTACHMENTS_S3_SECRET_KEY"],
        file_overwrite=False,
    )
    assert attachments_unpack(storage=target, path=archive) == 3
    s3 = s3_client(s3_endpoint)
    for name in names:
        source = s3.get_object(Bucket=bucket, Key=f"{PREFIX}/{name}")["Body"].read()
        assert s3.get_object(Bucket=target_bucket, Key=name)["Body"].read() == source

    with pytest.raises(BackupError, match="Le stockage contient déjà"):
        attachments_unpack(storage=target, path=archive)
    assert attachments_unpack(storage=target, path=archive, replace=True) == 3


def test_attachments_copy_moves_local_files_into_the_bucket_where_the_view_finds_them(
    client: Any,
    client_user: Any,
    s3_endpoint: str,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    local = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_from_settings(
            monkeypatch, ATTACHMENTS_S3_BUCKET="", PRIVATE_MEDIA_ROOT=str(local)
        ),
    }
    client.force_login(client_user)
    ticket = report(client, *uploads())
    pdf, png = Attachment.objects.filter(ticket=ticket).order_by("pk")
    bucket = new_bucket(s3_endpoint)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_from_settings(
            monkeypatch,
            ATTACHMENTS_S3_BUCKET=bucket,
            ATTACHMENTS_S3_PREFIX=PREFIX,
            ATTACHMENTS_S3_ENDPOINT_URL=s3_endpoint,
            ATTACHMENTS_S3_REGION="eu-west-3",
            **KEYS,
        ),
    }
    assert client.get(f"/pieces-jointes/{pdf.pk}/").status_code == 404  # not in the bucket yet

    output = io.StringIO()
    call_command("attachments_copy", from_dir=str(local), stdout=output)

    assert "3 fichier(s) copié(s), 0 déjà présent(s)" in output.getvalue()
    assert body(client.get(f"/pieces-jointes/{pdf.pk}/")) == PDF
    assert body(client.get(f"/pieces-jointes/{png.pk}/")) == PNG
    again = io.StringIO()
    call_command("attachments_copy", from_dir=str(local), stdout=again)
    assert "0 fichier(s) copié(s), 3 déjà présent(s)" in again.getvalue()

    # A file the rows point to but found nowhere is reported, the command fails.
    (local / str(pdf.file.name)).unlink()
    s3_client(s3_endpoint).delete_object(Bucket=bucket, Key=f"{PREFIX}/{pdf.file.name}")
    with pytest.raises(CommandError, match=f"1 fichier.*manquent.*{pdf.file.name}"):
        call_command("attachments_copy", from_dir=str(local), stdout=io.StringIO())


def test_the_orphan_sweep_finds_and_deletes_orphans_in_the_bucket(
    client: Any, client_user: Any, bucket: str, s3_endpoint: str
) -> None:
    """A bucket has no directories: the sweep must list keys by prefix, not test a folder."""
    client.force_login(client_user)
    ticket = report(client, *uploads())
    kept = {f"{PREFIX}/{name}" for name in orphans.referenced()}
    storages["default"].save("attachments/999/orphelin", io.BytesIO(b"sans ligne"))
    later = timezone.now() + timedelta(hours=2)

    found = orphans.purge_orphans(now=later)

    assert [orphan.name for orphan in found] == ["attachments/999/orphelin"]
    keys = {
        item["Key"] for item in s3_client(s3_endpoint).list_objects_v2(Bucket=bucket)["Contents"]
    }
    assert keys == kept
    assert len(kept) == 3
    assert Attachment.objects.filter(ticket=ticket).count() == 2
