from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .autoresolve import autoresolve_feedback as resolve_unanswered


@shared_task
def autoresolve_feedback() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): unanswered Commentaire tickets become Résolu, with a note.

    Idempotent: a resolved ticket is no longer in Commentaire, so a second run finds nothing.
    """
    return len(resolve_unanswered(days=settings.AUTORESOLVE_FEEDBACK_DAYS))
