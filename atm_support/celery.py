"""Celery application: broker from REDIS_URL, configuration from Django settings (CELERY_*)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atm_support.settings")

app = Celery("atm_support")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
