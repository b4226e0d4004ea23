from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .models import Heartbeat


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Every minute (CELERY_BEAT_SCHEDULE): proves that beat sends, the broker carries, a worker
    runs and the database takes its writes. /sante/ reads the time back (health.checks.worker)."""
    Heartbeat.objects.update_or_create(name=Heartbeat.WORKER, defaults={"beat_at": timezone.now()})
