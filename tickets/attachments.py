"""Files attached to tickets and notes: checked on the way in, stored under generated names.

Limits: MAX_FILES per submission, MAX_FILE_SIZE each and MAX_FILES_TOTAL together, an allow-list
of types checked by content and extension. Images are verified with Pillow and get a thumbnail;
each may have MAX_IMAGE_PIXELS, and all those of a submission settings.MAX_IMAGE_PIXELS_PER_REQUEST
together, counted from their headers before any is decoded.

The checks trust nothing the browser sent: the type comes from the bytes (magic numbers read
here, no libmagic), must agree with the extension, and anything a browser could run as a page
(HTML, SVG, XML, scripts) or a system could run as a program is refused whatever its name. The
uploader's file name is kept for display and Content-Disposition only, cleaned of directories
and control characters; on disk the file gets a generated name (`attachment_path`) in a storage
that no URL serves: `tickets.views.files` hands files out after checking who asks.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import unicodedata
import warnings
import weakref
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

from .models import Attachment, Note, State, Ticket
from .workflow import WorkflowError

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

MAX_FILES = 10
MAX_FILE_SIZE = 10 * 1024 * 1024
# What one submission may bring in all (the request around it is capped a little above, at
# settings.MAX_UPLOAD_REQUEST_BODY, by atm_support.middleware: files just over this get the
# form's French error, with the text kept).
MAX_FILES_TOTAL = 50 * 1024 * 1024
MAX_NAME_LENGTH = 255
# 50 megapixels is a 8660x5773 photo, beyond any screenshot or phone camera; decoding it costs
# ~200 MB. Pillow itself refuses twice its limit while reading the header, before any pixel is
# allocated: lowering the process-wide limit protects every Pillow use in this process.
MAX_IMAGE_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
THUMBNAIL_SIZE = (320, 240)
DEFAULT_NAME = "fichier"

HEAD_SIZE = 8192


@dataclass(frozen=True)
class FileType:
    """What an accepted extension promises: the content found by `_sniff`, and what we store."""

    content: str  # a `_sniff` result; "text" for files without magic number
    content_type: str
    image_format: str = ""  # Pillow's format for images


IMAGE_TYPES = {
    "png": FileType("png", "image/png", "PNG"),
    "jpg": FileType("jpeg", "image/jpeg", "JPEG"),
    "jpeg": FileType("jpeg", "image/jpeg", "JPEG"),
    "gif": FileType("gif", "image/gif", "GIF"),
    "webp": FileType("webp", "image/webp", "WEBP"),
}
OOXML = "application/vnd.openxmlformats-officedocument"
ODF = "application/vnd.oasis.opendocument"
ALLOWED_TYPES: dict[str, FileType] = {
    **IMAGE_TYPES,
    "pdf": FileType("pdf", "application/pdf"),
    "txt": FileType("text", "text/plain"),
    "log": FileType("text", "text/plain"),
    "csv": FileType("text", "text/csv"),
    "docx": FileType("zip", f"{OOXML}.wordprocessingml.document"),
    "xlsx": FileType("zip", f"{OOXML}.spreadsheetml.sheet"),
    "pptx": FileType("zip", f"{OOXML}.presentationml.presentation"),
    "odt": FileType("zip", f"{ODF}.text"),
    "ods": FileType("zip", f"{ODF}.spreadsheet"),
    "odp": FileType("zip", f"{ODF}.presentation"),
    "doc": FileType("ole2", "application/msword"),
    "xls": FileType("ole2", "application/vnd.ms-excel"),
    "ppt": FileType("ole2", "application/vnd.ms-powerpoint"),
    "zip": FileType("zip", "application/zip"),
}
# The main part every Office Open XML document of that kind holds beside [Content_Types].xml.
OOXML_MAIN_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# Extensions refused with a word about security rather than "not accepted": what browsers run.
DANGEROUS_EXTENSIONS = frozenset(
    (
        # Documents a browser runs scripts in.
        *("svg", "svgz", "html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "xml", "xsl"),
        *("xslt", "js", "mjs", "hta", "swf", "php", "phtml", "asp", "aspx", "jsp"),
        # Programs and scripts an operating system runs.
        *("exe", "dll", "com", "scr", "msi", "msp", "bat", "cmd", "ps1", "vbs", "vbe", "jse"),
        *("wsf", "wsh", "sh", "bash", "cpl", "jar", "apk", "app"),
    )
)

# Magic numbers of what an operating system or interpreter runs.
EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux, BSD
    b"\xfe\xed\xfa\xce",  # Mach-O 32 bits
    b"\xfe\xed\xfa\xcf",  # Mach-O 64 bits
    b"\xce\xfa\xed\xfe",  # Mach-O 32 bits, little endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64 bits, little endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary, Java class
    b"\x00asm",  # WebAssembly
    b"#!",  # a script with its interpreter
)
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A tag, a comment, a doctype or a processing instruction: what HTML, SVG and XML start with.
# `<` followed by a digit or a space is text (syslog's "<134>", "a <= b").
MARKUP_START = re.compile(r"<[A-Za-z!?/]")


def _content_labels() -> dict[str, str]:
    return {
        "png": _("image PNG"),
        "jpeg": _("image JPEG"),
        "gif": _("image GIF"),
        "webp": _("image WebP"),
        "pdf": _("document PDF"),
        "zip": _("archive ZIP"),
        "ole2": _("document Office ancien format"),
    }


def _document_labels() -> dict[str, str]:
    return {
        "docx": _("Word (DOCX)"),
        "xlsx": _("Excel (XLSX)"),
        "pptx": _("PowerPoint (PPTX)"),
        "odt": _("OpenDocument texte (ODT)"),
        "ods": _("OpenDocument classeur (ODS)"),
        "odp": _("OpenDocument présentation (ODP)"),
    }


class Refused(Exception):
    """One file refused; the message names it and says why."""


@dataclass(frozen=True)
class Inspection:
    name: str  # safe to display and to put in Content-Disposition
    content_type: str  # decided from the content
    size: int
    image_format: str  # Pillow's format when the file is an image, else ""


# validate_uploads' verdicts, so that attachments_store does not decode every image twice.
# Keyed by the upload object itself (weakly): only this module writes here.
_inspected: weakref.WeakKeyDictionary[UploadedFile, Inspection] = weakref.WeakKeyDictionary()


def safe_name(name: str | None) -> str:
    """The uploader's name without directories nor control characters, ≤ 255 characters.

    Kept for display and Content-Disposition only; nothing of it reaches the file system.
    Format characters go too: a right-to-left override would show « exe.pdf » for « fdp.exe ».
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Zl", "Zp"})
    # Windows drops trailing dots and spaces: « facture.pdf. » is « facture.pdf ».
    name = name.strip().rstrip(". ")
    if not name:
        return DEFAULT_NAME
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if stem and len(extension) < 16:
            extension = dot + extension
            name = name[: MAX_NAME_LENGTH - len(extension)].rstrip(". ") + extension
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def _shown(name: str) -> str:
    """A long name shortened for a message, keeping its end (the extension)."""
    return name if len(name) <= 80 else f"{name[:60]}…{name[-15:]}"


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if stem and dot else ""


def _read_head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_SIZE)
    upload.seek(0)
    return bytes(head)


def _looks_like_markup(head: bytes) -> bool:
    """HTML, SVG, XML or a script tag at the start, after a BOM and blanks, in any encoding.

    NUL bytes are dropped so that UTF-16 without BOM is caught too.
    """
    encoding = "latin-1"
    for bom, bom_encoding in BOMS:
        if head.startswith(bom):
            head, encoding = head[len(bom) :], bom_encoding
            break
    text = head.decode(encoding, errors="ignore").replace("\x00", "")
    return MARKUP_START.match(text.lstrip()) is not None


def _is_executable(head: bytes) -> bool:
    if head.startswith(EXECUTABLE_MAGIC):
        return True
    # Windows/DOS programs start with "MZ" and a binary header: a text that happens to start
    # with the letters MZ has no NUL byte.
    return head.startswith(b"MZ") and b"\x00" in head[2:64]


def _sniff(head: bytes) -> str:
    """The kind of content, from its first bytes; "" when no known magic number matches."""
    if _is_executable(head):
        return "executable"
    if _looks_like_markup(head):
        return "markup"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2"
    return ""


def _check_image(upload: UploadedFile, name: str, image_format: str) -> None:
    """Pillow reads the whole image: header, checksums (verify), then every pixel (load).

    `formats` keeps Pillow to the one decoder the extension announced. An image larger than
    MAX_IMAGE_PIXELS is refused from its header, before its pixels are allocated.
    """
    too_large = Refused(
        _("« %(name)s » : image trop grande (%(max)s mégapixels au plus).")
        % {"name": _shown(name), "max": MAX_IMAGE_PIXELS // 1_000_000}
    )
    try:
        upload.seek(0)
        with Image.open(upload, formats=[image_format]) as image:
            image.verify()
        upload.seek(0)
        with Image.open(upload, formats=[image_format]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise too_large
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except Refused:
        raise
    except Exception:  # hostile input: whatever the decoder trips on means "not an image"
        raise Refused(
            _("« %(name)s » n'est pas une image %(format)s valide.")
            % {"name": _shown(name), "format": image_format}
        ) from None
    finally:
        upload.seek(0)


def _check_text(upload: UploadedFile) -> str | None:
    """The charset of a text file (UTF-8, else Latin-1), or None if it holds NUL bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    try:
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                return None
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
    finally:
        upload.seek(0)
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return "utf-8" if is_utf8 else "iso-8859-1"


def _check_zip(upload: UploadedFile, extension: str) -> bool:
    """A readable ZIP directory; for office documents, the entries their format requires.

    Nothing is decompressed but the few bytes of an OpenDocument's `mimetype`: no zip bomb.
    """
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if extension in OOXML_MAIN_PART:
                prefix = OOXML_MAIN_PART[extension]
                return "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names)
            if extension in ("odt", "ods", "odp"):
                if "mimetype" not in names:
                    return False
                with archive.open("mimetype") as entry:
                    declared = entry.read(100).strip()
                return declared == ALLOWED_TYPES[extension].content_type.encode()
            return True
    except Exception:  # a truncated or crafted archive: refused, whatever zipfile raised
        return False
    finally:
        upload.seek(0)


def inspect_upload(upload: UploadedFile) -> Inspection:
    """Accept one file and say what it is, or raise Refused with a message naming it."""
    name = safe_name(upload.name)
    shown = _shown(name)
    size = upload.size
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    if size == 0:
        raise Refused(_("« %(name)s » est vide.") % {"name": shown})
    if size > MAX_FILE_SIZE:
        raise Refused(
            _("« %(name)s » dépasse %(max)s Mo.")
            % {"name": shown, "max": MAX_FILE_SIZE // (1024 * 1024)}
        )
    extension = _extension(name)
    if extension in DANGEROUS_EXTENSIONS:
        raise Refused(
            _(
                "« %(name)s » : les fichiers SVG, HTML, XML, scripts et programmes sont refusés "
                "par sécurité."
            )
            % {"name": shown}
        )
    file_type = ALLOWED_TYPES.get(extension)
    if file_type is None:
        raise Refused(
            _(
                "« %(name)s » : ce type de fichier n'est pas accepté. Sont acceptés : images "
                "(PNG, JPEG, GIF, WebP), PDF, textes (TXT, CSV, LOG), documents bureautiques "
                "(DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS, PPT) et archives ZIP."
            )
            % {"name": shown}
        )

    content = _sniff(_read_head(upload))
    if content == "executable":
        raise Refused(
            _("« %(name)s » est un programme ou un script : refusé par sécurité.") % {"name": shown}
        )
    if content == "markup":
        raise Refused(
            _("« %(name)s » contient du HTML, du SVG ou du XML : refusé par sécurité.")
            % {"name": shown}
        )
    expected = file_type.content if file_type.content != "text" else ""
    if content != expected:
        if content:
            message = _(
                "« %(name)s » : son contenu (%(content)s) ne correspond pas à l'extension "
                "« .%(extension)s »."
            ) % {"name": shown, "content": _content_labels()[content], "extension": extension}
        else:
            message = _(
                "« %(name)s » : son contenu ne correspond pas à l'extension « .%(extension)s »."
            ) % {"name": shown, "extension": extension}
        raise Refused(message)

    content_type = file_type.content_type
    if file_type.image_format:
        _check_image(upload, name, file_type.image_format)
    elif file_type.content == "text":
        charset = _check_text(upload)
        if charset is None:
            raise Refused(
                _("« %(name)s » n'est pas un fichier texte lisible : enregistrez-le en UTF-8.")
                % {"name": shown}
            )
        content_type = f"{content_type}; charset={charset}"
    elif file_type.content == "zip" and not _check_zip(upload, extension):
        if extension == "zip":
            raise Refused(_("« %(name)s » n'est pas une archive ZIP valide.") % {"name": shown})
        raise Refused(
            _("« %(name)s » n'est pas un document %(kind)s valide.")
            % {"name": shown, "kind": _document_labels()[extension]}
        )
    return Inspection(
        name=name, content_type=content_type, size=size, image_format=file_type.image_format
    )


def _upload_size(upload: UploadedFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


def _header_pixels(upload: UploadedFile) -> int | None:
    """The pixels of an image, from its header alone (Image.open decodes none); None for what
    is not an image of the format its extension announces, which inspect_upload refuses."""
    file_type = IMAGE_TYPES.get(_extension(safe_name(upload.name)))
    if file_type is None:
        return None
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # Above MAX_IMAGE_PIXELS: refused by _check_image, also from its header.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload, formats=[file_type.image_format]) as image:
                width, height = image.size
    except Exception:  # hostile input: whatever the header parser trips on is not an image
        return None
    finally:
        upload.seek(0)
    pixels = width * height
    return pixels if pixels <= MAX_IMAGE_PIXELS else None


class PixelBudget:
    """The pixels the images of one submission may have together (each one may have
    MAX_IMAGE_PIXELS; ten of them took 12 s to verify, decode and shrink), counted from their
    headers before any is decoded: settings.MAX_IMAGE_PIXELS_PER_REQUEST.

    The portal refuses the whole submission past it (`_check_totals`, every image counted); a
    mail read from the support mailbox (notifications.inbound) keeps the parts that fit and
    names the others (`take`)."""

    def __init__(self) -> None:
        self.limit = int(settings.MAX_IMAGE_PIXELS_PER_REQUEST)
        self.total = 0

    def count(self, upload: UploadedFile) -> bool:
        """Count the image's pixels: False once past the budget (True for what is no image)."""
        pixels = _header_pixels(upload)
        if pixels is None:
            return True
        self.total += pixels
        return self.total <= self.limit

    def take(self, upload: UploadedFile) -> bool:
        """Count the file only if it fits in what is left: False, and nothing counted, if not."""
        pixels = _header_pixels(upload) or 0
        if self.total + pixels > self.limit:
            return False
        self.total += pixels
        return True

    def refusal(self, upload: UploadedFile) -> str:
        """Why `take` refused this file, naming it."""
        return _(
            "« %(name)s » : refusé, les images de cet envoi dépasseraient %(max)s mégapixels "
            "en tout. Envoyez-la à part, ou réduite."
        ) % {"name": _shown(safe_name(upload.name)), "max": self.limit // 1_000_000}


def _check_totals(files: Sequence[UploadedFile]) -> None:
    """Refuse a submission too large in all, before any file is decoded: the total size, and the
    pixels of its images (PixelBudget)."""
    total_size = sum(_upload_size(upload) for upload in files)
    if total_size > MAX_FILES_TOTAL:
        raise forms.ValidationError(
            _("Les fichiers joints font %(size)s Mo en tout : %(max)s Mo au plus par envoi.")
            % {
                "size": f"{total_size / (1024 * 1024):.1f}".replace(".", ","),
                "max": MAX_FILES_TOTAL // (1024 * 1024),
            },
            code="files_too_large",
        )
    budget = PixelBudget()
    beyond = [
        f"« {_shown(safe_name(upload.name))} »" for upload in files if not budget.count(upload)
    ]
    if beyond:
        raise forms.ValidationError(
            _(
                "%(names)s : refusé, les images de cet envoi font %(total)s mégapixels en tout, "
                "%(max)s au plus. Envoyez-les en plusieurs fois, ou réduites."
            )
            % {
                "names": ", ".join(beyond),
                "total": budget.total // 1_000_000,
                "max": budget.limit // 1_000_000,
            },
            code="too_many_pixels",
        )


def validate_uploads(files: Sequence[UploadedFile]) -> list[UploadedFile]:
    """Return the files if every one is acceptable; raise ValidationError listing every refusal."""
    if len(files) > MAX_FILES:
        # Not worth decoding files that cannot all be kept: the count alone is the answer.
        raise forms.ValidationError(
            _("%(count)s fichiers envoyés : %(max)s au plus par envoi.")
            % {"count": len(files), "max": MAX_FILES},
            code="too_many_files",
        )
    _check_totals(files)
    errors: list[forms.ValidationError] = []
    for upload in files:
        try:
            _inspected[upload] = inspect_upload(upload)
        except Refused as refusal:
            errors.append(forms.ValidationError(str(refusal), code="file_refused"))
    if errors:
        raise forms.ValidationError(errors)
    return list(files)


def _thumbnail(upload: UploadedFile, image_format: str) -> ContentFile[bytes] | None:
    """A PNG of at most THUMBNAIL_SIZE, upright (EXIF orientation applied), ratio kept."""
    try:
        upload.seek(0)
        with Image.open(upload, formats=[image_format]) as original:
            # JPEG decodes straight at a reduced scale: a 40 Mpx photo costs a 1 Mpx one.
            original.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))
            image = ImageOps.exif_transpose(original)
            if image.mode in ("P", "PA", "1"):
                has_alpha = "transparency" in image.info or image.mode == "PA"
                image = image.convert("RGBA" if has_alpha else "RGB")
            image.thumbnail(THUMBNAIL_SIZE)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGB")
            output = io.BytesIO()
            image.save(output, "PNG", optimize=True)
    except Exception:
        # The file itself passed the checks: it stays attached, shown as a file instead.
        logger.warning("Thumbnail failed for %s", upload.name, exc_info=True)
        return None
    finally:
        upload.seek(0)
    return ContentFile(output.getvalue())


def attachments_store(
    *, ticket: Ticket, files: Sequence[UploadedFile], by: User, note: Note | None = None
) -> list[Attachment]:
    """Save validated files; call it inside the transaction that creates the ticket or note.

    Files are written to the storage at once, the rows in the caller's transaction. If this
    function fails, the files it wrote are deleted; if the caller's transaction rolls back
    later, the rows vanish and the written files stay on disk as orphans, unreachable (no row,
    no URL) — Django has no rollback hook to remove them.
    """
    if not files:
        return []
    if note is not None and note.ticket_id != ticket.pk:
        raise ValueError("The note belongs to another ticket.")
    if not by.is_staff and by.organisation_id != ticket.organisation_id:
        raise WorkflowError(_("Ce ticket n'appartient pas à votre organisation."))
    written: list[FieldFile] = []
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            # The ticket's lock orders this with the month end that closes it.
            state = (
                Ticket.objects.select_for_update().values_list("state", flat=True).get(pk=ticket.pk)
            )
            if state == State.CLOSED:
                raise WorkflowError(_("Ce ticket est fermé : il n'accepte plus de pièce jointe."))
            for upload in files:
                inspection = _inspected.get(upload)
                if inspection is None:  # a caller that skipped validate_uploads
                    try:
                        inspection = inspect_upload(upload)
                    except Refused as refusal:
                        raise forms.ValidationError(str(refusal), code="file_refused") from None
                attachment = Attachment(
                    ticket=ticket,
                    note=note,
                    original_name=inspection.name,
                    content_type=inspection.content_type,
                    size=inspection.size,
                    uploaded_by=by,
                )
                attachment.file.save(inspection.name, upload, save=False)
                written.append(attachment.file)
                if inspection.image_format:
                    thumbnail = _thumbnail(upload, inspection.image_format)
                    if thumbnail is not None:
                        attachment.thumbnail.save("miniature.png", thumbnail, save=False)
                        written.append(attachment.thumbnail)
                attachment.save()
                stored.append(attachment)
    except BaseException:
        for field_file in written:
            try:
                if field_file.name:
                    field_file.storage.delete(field_file.name)
            except OSError:
                logger.warning("Could not delete %s", field_file.name, exc_info=True)
        raise
    return stored


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; `clean` returns the validated list (maybe empty)."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Joindre un fichier"))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "Copies d'écran, documents… jusqu'à 10 fichiers de 10 Mo chacun "
                "(images, PDF, textes, bureautique, archives ZIP)."
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return validate_uploads(files)
