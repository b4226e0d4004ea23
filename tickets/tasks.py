from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .autoresolve import autoresolve_feedback as resolve_unanswered
from .orphans import purge_orphans


@shared_task
def autoresolve_feedback() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): unanswered Commentaire tickets become Résolu, with a note.

    Idempotent: a resolved ticket is no longer in Commentaire, so a second run finds nothing.
    """
    return len(resolve_unanswered(days=settings.AUTORESOLVE_FEEDBACK_DAYS))


@shared_task
def purge_orphan_files() -> int:
    """Nightly (CELERY_BEAT_SCHEDULE): attachment files no row points to, older than an hour."""
    return len(purge_orphans())
