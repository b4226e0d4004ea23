from __future__ import annotations

import functools
import io
import re
import struct
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django import forms
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import transaction
from PIL import Image, ImageFile, PngImagePlugin

from tests.factories import ClientFactory, StaffFactory, make_ticket
from tickets.attachments import (
    MAX_FILE_SIZE,
    MAX_FILES,
    AttachmentsField,
    attachments_store,
    inspect_upload,
    safe_name,
    validate_uploads,
)
from tickets.models import Attachment, State
from tickets.views.files import attachment_download, content_disposition
from tickets.workflow import WorkflowError, note_add

# --- Files built in code ---------------------------------------------------------------------


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30), **save: Any) -> bytes:
    buffer = io.BytesIO()
    mode = "P" if fmt == "GIF" else "RGB"
    Image.new(mode, size, color=1 if mode == "P" else (200, 30, 30)).save(buffer, fmt, **save)
    return buffer.getvalue()


def rotated_jpeg(size: tuple[int, int]) -> bytes:
    """A landscape JPEG whose EXIF says "rotate 90° clockwise to display" (Orientation 6)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return image_bytes("JPEG", size, exif=exif)


def pixel_bomb(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header claims width x height: a few dozen bytes, billions of pixels."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    assert data[12:16] == b"IHDR"
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = zip_bytes(
    {
        "[Content_Types].xml": b"<?xml version='1.0'?><Types/>",
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document/>",
    }
)
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(1)</script></svg>"
)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusals(*files: Any) -> list[str]:
    with pytest.raises(forms.ValidationError) as caught:
        validate_uploads(list(files))
    return caught.value.messages


# --- What is accepted, and stored as which type ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("capture.png", image_bytes("PNG"), "image/png"),
        ("photo.jpg", image_bytes("JPEG"), "image/jpeg"),
        ("PHOTO.JPEG", image_bytes("JPEG"), "image/jpeg"),
        ("anim.gif", image_bytes("GIF"), "image/gif"),
        ("ecran.webp", image_bytes("WEBP"), "image/webp"),
        ("facture.pdf", PDF, "application/pdf"),
        ("notes.txt", "Café crème à 2 €\n".encode(), "text/plain; charset=utf-8"),
        (
            "export.csv",
            "Société;Montant\nÉté;12 €\n".encode("cp1252"),
            "text/csv; charset=iso-8859-1",
        ),
        ("syslog.log", b"<134>Oct 11 22:14:15 host app: started\n", "text/plain; charset=utf-8"),
        ("compare.txt", b"a <= b and 3 < 4\n", "text/plain; charset=utf-8"),
        (
            "rapport.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("budget.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("lettre.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("ancien.doc", OLE2, "application/msword"),
        ("ancien.xls", OLE2, "application/vnd.ms-excel"),
        ("journaux.zip", zip_bytes({"a.log": b"ok"}), "application/zip"),
        ("rapport-zippe.zip", DOCX, "application/zip"),
    ],
)
def test_allowed_files_are_accepted_with_the_type_read_from_their_content(
    name, content, content_type
):
    # The browser's header claims HTML: it is ignored.
    file = upload(name, content, content_type="text/html")
    assert validate_uploads([file]) == [file]
    assert inspect_upload(file).content_type == content_type


MARKUP = " contient du HTML, du SVG ou du XML : refusé par sécurité."
FORBIDDEN = " : les fichiers SVG, HTML, XML, scripts et programmes sont refusés par sécurité."
PROGRAM = " est un programme ou un script : refusé par sécurité."
NOT_ACCEPTED = " : ce type de fichier n'est pas accepté. Sont acceptés : images (PNG, JPEG"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.png", HTML, MARKUP),
        ("dessin.png", SVG, MARKUP),
        ("lisezmoi.txt", b"\xef\xbb\xbf \n\t<script>alert(1)</script>", MARKUP),
        ("releve.csv", "\ufeff<html><body>x</body></html>".encode("utf-16-le"), MARKUP),
        ("sans-bom.txt", "<svg onload=alert(1)>".encode("utf-16-le"), MARKUP),
        ("facture.pdf", b"  <HTML><body>", MARKUP),
        ("dessin.svg", SVG, FORBIDDEN),
        ("index.html", HTML, FORBIDDEN),
        ("page.htm", b"bonjour", FORBIDDEN),
        ("app.js", b"alert(1)", FORBIDDEN),
        ("outil.exe", PE, FORBIDDEN),
        ("outil.pdf", PE, PROGRAM),
        ("binaire.txt", ELF, PROGRAM),
        ("macho.zip", b"\xcf\xfa\xed\xfe" + b"\x00" * 60, PROGRAM),
        ("install.txt", b"#!/bin/sh\nrm -rf /\n", PROGRAM),
        (
            "photo.png",
            image_bytes("JPEG"),
            " : son contenu (image JPEG) ne correspond pas à l'extension « .png ».",
        ),
        ("rapport.docx", PDF, " : son contenu (document PDF) ne correspond pas"),
        (
            "capture.txt",
            image_bytes("PNG"),
            " : son contenu (image PNG) ne correspond pas à l'extension « .txt ».",
        ),
        ("rapport.pdf", b"Bonjour", " : son contenu ne correspond pas à l'extension « .pdf »."),
        (
            "notes.txt",
            b"ligne\x00binaire",
            " n'est pas un fichier texte lisible : enregistrez-le en UTF-8.",
        ),
        ("faux.docx", zip_bytes({"a.txt": b"x"}), " n'est pas un document Word (DOCX) valide."),
        (
            "faux.odt",
            zip_bytes({"mimetype": b"application/zip"}),
            " n'est pas un document OpenDocument texte (ODT) valide.",
        ),
        ("casse.zip", b"PK\x03\x04" + b"\x00" * 40, " n'est pas une archive ZIP valide."),
        ("casse.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 60, " n'est pas une image PNG valide."),
        (
            "tronquee.jpg",
            image_bytes("JPEG", (200, 200))[:300],
            " n'est pas une image JPEG valide.",
        ),
        ("macro.docm", DOCX, NOT_ACCEPTED),
        ("sans-extension", b"texte", NOT_ACCEPTED),
        ("vide.txt", b"", " est vide."),
    ],
)
def test_refused_files_get_a_french_message_naming_them(name, content, message):
    # Every refused file comes with an acceptable one, which is not reported.
    messages = refusals(upload("bon.pdf", PDF), upload(name, content))
    assert len(messages) == 1
    assert messages[0].startswith(f"« {name} »{message}")


def test_every_refusal_of_a_submission_is_listed():
    messages = refusals(
        upload("page.png", HTML), upload("bon.png", image_bytes()), upload("vide.pdf", b"")
    )
    assert messages == [
        "« page.png » contient du HTML, du SVG ou du XML : refusé par sécurité.",
        "« vide.pdf » est vide.",
    ]


def test_a_file_over_10_mib_is_refused_and_10_mib_is_accepted():
    assert MAX_FILE_SIZE == 10 * 1024 * 1024
    assert validate_uploads([upload("limite.txt", b"a" * MAX_FILE_SIZE)])
    assert refusals(upload("gros.txt", b"a" * 11 * 1024 * 1024)) == ["« gros.txt » dépasse 10 Mo."]


def test_more_than_10_files_are_refused_and_10_are_accepted():
    assert MAX_FILES == 10
    files = [upload(f"capture-{n}.png", image_bytes()) for n in range(11)]
    assert validate_uploads(files[:10]) == files[:10]
    assert refusals(*files) == ["11 fichiers envoyés : 10 au plus par envoi."]


def test_a_pixel_bomb_is_refused_quickly_from_its_header():
    bomb = pixel_bomb(30000, 30000)  # 900 megapixels: 2.7 GB once decoded
    assert len(bomb) < 100
    started = time.perf_counter()
    messages = refusals(upload("bombe.png", bomb))
    elapsed = time.perf_counter() - started
    assert messages == ["« bombe.png » : image trop grande (50 mégapixels au plus)."]
    assert elapsed < 0.5


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_just_over_the_pixel_limit_is_refused_before_decoding():
    # 64 megapixels: under Pillow's hard limit (2 x 50), caught by our own check of the size.
    started = time.perf_counter()
    messages = refusals(upload("grande.png", pixel_bomb(8000, 8000)))
    assert messages == ["« grande.png » : image trop grande (50 mégapixels au plus)."]
    assert time.perf_counter() - started < 0.5


def test_a_file_that_is_refused_is_named_without_its_path_nor_control_characters():
    file = upload("x.exe", PE)
    file._name = "..\\..\\Windows\\out\r\nil\x00.exe"  # past Django's own basename()
    assert refusals(file) == [
        "« outil.exe » : les fichiers SVG, HTML, XML, scripts et programmes sont refusés "
        "par sécurité."
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("/var/www/capture.png", "capture.png"),
        ("C:\\Users\\paul\\Bureau\\facture.pdf", "facture.pdf"),
        ("rap\r\nport\x00\t.pdf", "rapport.pdf"),
        ("Set-Cookie: a=1\r\n.txt", "Set-Cookie: a=1.txt"),
        ("facture\u202efdp.exe", "facturefdp.exe"),  # no right-to-left override
        ("  facture.pdf. ", "facture.pdf"),
        (
            "Capture d\u2019écran 2025-01-02 à 10.15.png",
            "Capture d\u2019écran 2025-01-02 à 10.15.png",
        ),
        ("e\u0301te\u0301.txt", "été.txt"),  # macOS sends decomposed accents
        ("", "fichier"),
        (None, "fichier"),
        ("..", "fichier"),
        ("../", "fichier"),
        ("\r\n", "fichier"),
    ],
)
def test_safe_name(raw, expected):
    assert safe_name(raw) == expected


def test_a_long_name_is_cut_to_255_characters_keeping_its_extension():
    name = safe_name("r" * 400 + ".pdf")
    assert len(name) == 255
    assert name.endswith("rrr.pdf")


def test_attachments_field_returns_the_validated_list_and_refuses_bad_files():
    field = AttachmentsField()
    assert field.label == "Joindre un fichier"
    assert field.clean(None) == []
    good = upload("capture.png", image_bytes())
    assert field.clean([good]) == [good]
    with pytest.raises(forms.ValidationError):
        field.clean([good, upload("page.png", HTML)])
    with pytest.raises(forms.ValidationError):
        AttachmentsField(required=True).clean([])


# --- Storage ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Files go to a temporary directory, never to var/media."""
    location = tmp_path / "media"
    storages = {**settings.STORAGES}
    storages["default"] = {**storages["default"], "OPTIONS": {"location": str(location)}}
    settings.STORAGES = storages
    return location


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


@pytest.fixture
def ticket(client_user):
    return make_ticket(reporter=client_user)


def store(ticket, user, *files, note=None):
    return attachments_store(ticket=ticket, files=validate_uploads(list(files)), by=user, note=note)


@pytest.mark.django_db
def test_stored_files_get_a_generated_name_in_the_private_storage(ticket, client_user, media):
    file = upload("x.png", image_bytes(), content_type="text/html")
    file._name = "..\\..\\etc\\passwd\r\n.png"
    [attachment] = store(ticket, client_user, file)

    attachment.refresh_from_db()
    assert attachment.original_name == "passwd.png"
    assert attachment.content_type == "image/png"
    assert attachment.size == len(image_bytes())
    assert attachment.uploaded_by == client_user
    assert re.fullmatch(rf"attachments/{ticket.pk}/[0-9a-f]{{32}}", attachment.file.name)
    assert (media / attachment.file.name).read_bytes() == image_bytes()
    assert default_storage.exists(attachment.file.name)


@pytest.mark.django_db
def test_uploads_spooled_to_disk_are_checked_and_stored_alike(ticket, client_user, media):
    """Django writes uploads over 2.5 MB to a temporary file instead of memory."""
    uploads = []
    for name, content in [("photo.jpg", rotated_jpeg((64, 32))), ("rapport.docx", DOCX)]:
        spooled = TemporaryUploadedFile(name, "application/octet-stream", len(content), None)
        spooled.write(content)
        spooled.seek(0)
        uploads.append(spooled)
    photo, docx = store(ticket, client_user, *uploads)
    assert (photo.content_type, docx.content_type) == (
        "image/jpeg",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    assert (media / photo.file.name).read_bytes() == rotated_jpeg((64, 32))
    assert (media / docx.file.name).read_bytes() == DOCX
    assert photo.is_image
    refused = TemporaryUploadedFile("page.png", "image/png", len(HTML), None)
    refused.write(HTML)
    assert refusals(refused) == [f"« page.png »{MARKUP}"]


@pytest.mark.django_db
def test_images_get_a_png_thumbnail_that_keeps_their_ratio(ticket, client_user, media):
    [wide, photo, gif, pdf] = store(
        ticket,
        client_user,
        upload("large.png", image_bytes("PNG", (1280, 640))),
        upload("photo.jpg", rotated_jpeg((640, 320))),
        upload("petit.gif", image_bytes("GIF", (16, 16))),
        upload("facture.pdf", PDF),
    )
    sizes = {}
    for attachment in (wide, photo, gif):
        assert attachment.is_image
        assert re.fullmatch(
            rf"thumbnails/{ticket.pk}/[0-9a-f]{{32}}\.png", attachment.thumbnail.name
        )
        with Image.open(media / attachment.thumbnail.name) as thumbnail:
            assert thumbnail.format == "PNG"
            sizes[attachment.original_name] = thumbnail.size
    assert sizes == {
        "large.png": (320, 160),
        "photo.jpg": (120, 240),  # upright: the EXIF orientation is applied
        "petit.gif": (16, 16),  # never enlarged
    }
    assert not pdf.is_image
    assert not pdf.thumbnail


@pytest.mark.django_db
def test_files_stored_in_a_transaction_that_rolls_back_leave_no_row(ticket, client_user):
    def submit() -> None:
        with transaction.atomic():
            store(ticket, client_user, upload("capture.png", image_bytes()))
            raise RuntimeError("the note could not be saved")

    with pytest.raises(RuntimeError):
        submit()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_store_checks_files_even_when_validation_was_skipped(ticket, client_user, media):
    files = [upload("bon.png", image_bytes()), upload("page.png", HTML)]
    with pytest.raises(forms.ValidationError) as caught:
        attachments_store(ticket=ticket, files=files, by=client_user)
    assert "« page.png » contient du HTML" in caught.value.messages[0]
    assert not Attachment.objects.exists()
    assert stored_files(media) == []  # the good file written before the refusal is removed


@pytest.mark.django_db
def test_a_closed_ticket_accepts_no_attachment(client_user, media):
    ticket = make_ticket(reporter=client_user, state=State.CLOSED)
    with pytest.raises(WorkflowError, match="fermé"):
        store(ticket, client_user, upload("capture.png", image_bytes()))
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_client_cannot_attach_to_another_organisations_ticket(ticket, other_organisation):
    stranger = ClientFactory(organisation=other_organisation)
    with pytest.raises(WorkflowError):
        store(ticket, stranger, upload("capture.png", image_bytes()))
    assert not Attachment.objects.exists()


# --- Download ---------------------------------------------------------------------------------


def url(attachment: Attachment) -> str:
    return f"/pieces-jointes/{attachment.pk}/"


def thumbnail_url(attachment: Attachment) -> str:
    return f"/pieces-jointes/{attachment.pk}/miniature/"


def body(response: Any) -> bytes:
    # Reading to the end closes the file (the test client's wrapper calls response.close()).
    return b"".join(response.streaming_content)


def assert_file_headers(response: Any) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # No browser or proxy keeps a signed-in user's file (atm_support/middleware.py).
    assert response["Cache-Control"] == "private, no-store"


@pytest.fixture
def files(ticket, client_user, staff_user):
    """A PDF and a screenshot on the ticket, a file on a public note and one on a private note."""
    [pdf, png] = store(
        ticket,
        client_user,
        upload("Facture n°12.pdf", PDF),
        upload("capture.png", image_bytes("PNG", (640, 480))),
    )
    public = note_add(ticket=ticket, author=staff_user, text="Voici le correctif.")
    [public_file] = store(ticket, staff_user, upload("correctif.txt", b"ok\n"), note=public)
    private = note_add(ticket=ticket, author=staff_user, text="Interne", is_private=True)
    [private_file] = store(
        ticket, staff_user, upload("interne.png", image_bytes("PNG", (50, 50))), note=private
    )
    return {"pdf": pdf, "png": png, "public": public_file, "private": private_file}


@pytest.mark.django_db
def test_a_client_downloads_a_file_of_their_organisation(client, client_user, files):
    client.force_login(client_user)
    response = client.get(url(files["pdf"]))
    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Facture n12.pdf\"; filename*=UTF-8''Facture%20n%C2%B012.pdf"
    )
    assert_file_headers(response)


@pytest.mark.django_db
def test_the_view_sets_the_protective_headers_itself(rf, client_user, files):
    """Not left to middleware settings (SECURE_CONTENT_TYPE_NOSNIFF, SECURE_CSP) alone."""
    request = rf.get(url(files["pdf"]))
    request.user = client_user
    response = attachment_download(request, files["pdf"].pk)
    assert response.status_code == 200
    response.file_to_stream.close()  # response.close() would close the test's DB connection
    assert_file_headers(response)
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.django_db
def test_images_are_shown_inline_and_other_files_downloaded(client, client_user, files):
    client.force_login(client_user)
    response = client.get(url(files["png"]))
    assert response.status_code == 200
    assert body(response) == image_bytes("PNG", (640, 480))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="capture.png"'
    assert_file_headers(response)

    response = client.get(url(files["public"]))
    assert body(response) == b"ok\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="correctif.txt"'


@pytest.mark.django_db
def test_thumbnail_is_served_inline_as_png(client, client_user, files):
    client.force_login(client_user)
    response = client.get(thumbnail_url(files["png"]))
    assert response.status_code == 200
    with Image.open(io.BytesIO(body(response))) as thumbnail:
        assert thumbnail.size == (320, 240)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="capture (miniature).png"'
    assert_file_headers(response)
    # A file that is not an image has no thumbnail.
    response = client.get(thumbnail_url(files["pdf"]))
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("route", [url, thumbnail_url])
def test_another_organisation_gets_a_404_that_reveals_nothing(
    client, other_organisation, files, route
):
    client.force_login(ClientFactory(organisation=other_organisation))
    response = client.get(route(files["png"]))
    assert response.status_code == 404
    assert b"capture" not in response.content
    assert b"PNG" not in response.content
    assert "Content-Disposition" not in response


@pytest.mark.django_db
@pytest.mark.parametrize("route", [url, thumbnail_url])
def test_anonymous_visitors_are_sent_to_the_login_page(client, files, route):
    response = client.get(route(files["png"]))
    assert response.status_code == 302
    assert response["Location"] == f"/connexion/?next={route(files['png'])}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [url, thumbnail_url])
def test_a_private_notes_file_is_hidden_from_clients_and_shown_to_staff(
    client, client_user, staff_user, files, route
):
    client.force_login(client_user)
    assert client.get(route(files["private"])).status_code == 404

    client.force_login(staff_user)
    response = client.get(route(files["private"]))
    assert response.status_code == 200
    assert body(response)
    assert_file_headers(response)


@pytest.mark.django_db
def test_a_public_notes_file_is_shown_to_the_client(client, client_user, files):
    client.force_login(client_user)
    assert client.get(url(files["public"])).status_code == 200


@pytest.mark.django_db
def test_staff_download_any_organisations_file(client, other_organisation, files):
    client.force_login(StaffFactory())
    response = client.get(url(files["pdf"]))
    assert response.status_code == 200
    assert body(response) == PDF


@pytest.mark.django_db
def test_a_file_missing_from_the_storage_is_a_404(client, client_user, files, media):
    (media / files["pdf"].file.name).unlink()
    (media / files["png"].thumbnail.name).unlink()
    client.force_login(client_user)
    assert client.get(url(files["pdf"])).status_code == 404
    assert client.get(thumbnail_url(files["png"])).status_code == 404


@pytest.mark.django_db
def test_unknown_attachment_and_other_methods(client, client_user, files):
    client.force_login(client_user)
    assert client.get("/pieces-jointes/999999/").status_code == 404
    assert client.post(url(files["pdf"])).status_code == 405


@pytest.mark.django_db
def test_the_storage_is_not_served_by_any_url(client, client_user, files):
    client.force_login(client_user)
    name = files["pdf"].file.name
    for path in (f"/{name}", f"/media/{name}", f"/static/{name}"):
        assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_a_stored_name_with_quotes_and_newlines_cannot_break_the_header(client, client_user, files):
    Attachment.objects.filter(pk=files["pdf"].pk).update(
        original_name='rapport "final"\r\nSet-Cookie: pris=1; été.pdf'
    )
    client.force_login(client_user)
    response = client.get(url(files["pdf"]))
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert "\r" not in header
    assert "\n" not in header
    assert "pris" not in response.cookies
    assert "Set-Cookie" not in response.headers
    fallback = re.fullmatch(r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'(\S+)', header)
    assert fallback is not None
    assert fallback[1] == "rapport _final_Set-Cookie: pris=1; ete.pdf"
    assert unquote(fallback[2]) == 'rapport "final"Set-Cookie: pris=1; été.pdf'


@pytest.mark.parametrize(
    ("name", "inline", "header"),
    [
        ("plan.pdf", False, 'attachment; filename="plan.pdf"'),
        ("écran.png", True, "inline; filename=\"ecran.png\"; filename*=UTF-8''%C3%A9cran.png"),
        (
            "報告.pdf",
            False,
            "attachment; filename=\"fichier.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf",
        ),
        ("100%.txt", False, "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"),
        ("../../etc/passwd", False, 'attachment; filename="passwd"'),
    ],
)
def test_content_disposition(name, inline, header):
    assert content_disposition(name, inline=inline) == header


# --- Totals of one submission: size and image pixels, from the headers -----------------------


@functools.cache
def solid_png(width: int, height: int) -> bytes:
    """A real PNG of width x height, one grey: a few kB for tens of megapixels."""
    buffer = io.BytesIO()
    Image.new("L", (width, height), color=128).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def decoding(monkeypatch) -> dict[str, int]:
    """How many times Pillow verified or decoded an image (the costly work), counted around the
    real methods."""
    counts = {"verify": 0, "load": 0}
    originals = {"verify": PngImagePlugin.PngImageFile.verify, "load": ImageFile.ImageFile.load}

    def counting(name: str) -> Any:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return originals[name](self, *args, **kwargs)

        return method

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "verify", counting("verify"))
    monkeypatch.setattr(ImageFile.ImageFile, "load", counting("load"))
    return counts


def test_ten_10_5_megapixel_images_are_refused_before_any_is_decoded(decoding):
    png = solid_png(4200, 2500)
    assert len(png) < 100_000
    files = [upload(f"capture-{n:02}.png", png) for n in range(1, 11)]
    messages = refusals(*files)
    assert messages == [
        "« capture-10.png » : refusé, les images de cet envoi font 105 mégapixels en tout, "
        "100 au plus. Envoyez-les en plusieurs fois, ou réduites."
    ]
    assert decoding == {"verify": 0, "load": 0}


def test_ten_49_megapixel_images_are_refused_before_any_is_decoded(decoding):
    png = solid_png(7000, 7000)
    files = [upload(f"scan-{n:02}.png", png) for n in range(1, 11)]
    (message,) = refusals(*files)
    # The first two fit in the 100 megapixels; the message names the eight others.
    assert message.startswith("« scan-03.png », « scan-04.png », ")
    assert "« scan-10.png » : refusé" in message
    assert "« scan-02.png »" not in message
    assert "490 mégapixels en tout, 100 au plus" in message
    assert decoding == {"verify": 0, "load": 0}


def test_images_within_the_pixel_budget_are_verified_each(settings, decoding):
    settings.MAX_IMAGE_PIXELS_PER_REQUEST = 2 * 40 * 30
    files = [upload("a.png", image_bytes()), upload("b.png", image_bytes())]
    assert validate_uploads(files) == files
    assert decoding["verify"] == 2
    (message,) = refusals(*files, upload("c.png", image_bytes()))
    assert message.startswith("« c.png » : refusé")


def test_the_pixel_budget_counts_images_only(settings, decoding):
    settings.MAX_IMAGE_PIXELS_PER_REQUEST = 40 * 30
    files = [upload("a.png", image_bytes()), upload("facture.pdf", PDF), upload("x.txt", b"ok")]
    assert validate_uploads(files) == files


def test_files_over_50_mb_together_are_refused_with_the_total(decoding):
    part = b"%PDF-1.7\n" + b"0" * (9 * 1024 * 1024)
    files = [upload(f"export-{n}.pdf", part) for n in range(6)]
    (message,) = refusals(*files)
    assert message == "Les fichiers joints font 54,0 Mo en tout : 50 Mo au plus par envoi."
