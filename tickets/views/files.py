"""Attachments handed out one by one, after checking who asks: no URL serves the storage.

A client gets the files of their organisation's tickets, never those of a private note; staff get
every file. Anything else is a 404 that says nothing of the file, not a 403 that would confirm
it exists. Responses are built so that a browser can never run a file as a page: the type
decided at upload, nosniff, a sandboxing CSP, and a download (Content-Disposition: attachment)
for everything but images.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from ..attachments import safe_name
from ..selectors import attachments_visible_to

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# Defence in depth, should a browser render a file anyway: no script, no plugin, no request,
# and a sandbox that gives the document an opaque origin (no cookie, no access to the portal).
FILE_CSP = "default-src 'none'; sandbox"
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# Quoted-string characters but the quote and the backslash, and % that some clients decode.
UNSAFE_IN_QUOTED = re.compile(r'[^\x20-\x7e]|["\\%]')


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII `filename` for old clients, and `filename*` in UTF-8 when it differs.

    The name goes through `safe_name` again (a row written by other means than the upload
    form must not break the header); `filename*` is percent-encoded, so no quote, CR or LF
    can end up in the header.
    """
    name = safe_name(name)
    disposition = "inline" if inline else "attachment"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = UNSAFE_IN_QUOTED.sub("_", ascii_name).strip()
    stem, dot, extension = ascii_name.rpartition(".")
    if not (stem if dot else extension).strip("._ "):
        # Nothing left of a name in another script (« 報告.pdf »): a generic one, same type.
        ascii_name = f"fichier.{extension}" if dot and extension else "fichier"
    header = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def _serve(request: HttpRequest, pk: int, *, thumbnail: bool) -> HttpResponseBase:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = cast("User", request.user)
    attachment = attachments_visible_to(user).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    field_file = attachment.thumbnail if thumbnail else attachment.file
    if not field_file or not field_file.name:
        raise Http404
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except (OSError, SuspiciousFileOperation):
        logger.error("Attachment %s: %s is missing from the storage", pk, field_file.name)
        raise Http404 from None
    if thumbnail:
        stem = attachment.original_name.rpartition(".")[0] or attachment.original_name
        content_type, name, inline = "image/png", f"{stem} (miniature).png", True
    else:
        content_type = attachment.content_type
        name, inline = attachment.original_name, content_type in INLINE_TYPES
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # A signed-in user's file: kept by no proxy, nor by the browser once they leave.
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _serve(request, pk, thumbnail=False)


@require_safe
def attachment_thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _serve(request, pk, thumbnail=True)
