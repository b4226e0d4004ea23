"""`manage.py seed_demo` gives the admin something to look at: every state, notes, a file."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tickets.models import Attachment, Note, State, Ticket

pytestmark = pytest.mark.django_db


def test_demo_tickets_have_private_notes_time_and_a_screenshot_once(
    settings: Any, tmp_path: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }

    call_command("seed_demo", stdout=StringIO())

    assert set(Ticket.objects.values_list("state", flat=True)) == {state.value for state in State}
    assert Note.objects.filter(is_private=True, minutes_spent__gt=0).exists()
    screenshots = list(Attachment.objects.all())
    assert screenshots  # the client's answers to « envoyez une capture »
    for screenshot in screenshots:
        assert (screenshot.original_name, screenshot.content_type) == (
            "capture-erreur.png",
            "image/png",
        )
        assert screenshot.note is not None
        assert screenshot.is_image  # a thumbnail was made
    counts = (Ticket.objects.count(), Note.objects.count(), Attachment.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Ticket.objects.count(), Note.objects.count(), Attachment.objects.count()) == counts


@pytest.mark.django_db
def test_seed_demo_mails_nobody(smtp):
    from io import StringIO

    from django.core.management import call_command

    from notifications.models import Notification

    call_command("seed_demo", stdout=StringIO())
    assert Notification.objects.count() == 0
    assert smtp.messages == []
