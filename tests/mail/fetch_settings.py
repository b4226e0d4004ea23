"""Settings of the `manage.py fetch_mail` the crash test kills: production's, with a long pause
between a message's commit and its move to « Traités », for the test to kill it there."""

from __future__ import annotations

from atm_support.settings import *  # noqa: F403

INBOUND_PAUSE_BEFORE_MOVE = 60.0
