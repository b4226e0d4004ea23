"""Settings of the Celery workers the notification tests start: production's, with short delays.

Retries that wait minutes in production wait a fraction of a second here, so that an SMTP outage
and its recovery fit in a test of a few seconds.
"""

from __future__ import annotations

from atm_support.settings import *  # noqa: F403

NOTIFICATIONS_RETRY_BASE = 0.2
NOTIFICATIONS_RETRY_MAX_DELAY = 0.5
NOTIFICATIONS_MAX_ATTEMPTS = 8
NOTIFICATIONS_SWEEP_AFTER = 0.5
