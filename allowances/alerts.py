"""Balance warnings: below 20 % of the monthly allowance, and below zero, once per crossing.

The organisation's level (ok, low, negative) is the latest BalanceLevelChange row. After every
ledger write (under the organisation's lock) the level is computed again: a move to a more
severe level is a crossing and queues one warning mail per person; a move back up is recorded
too, so that falling again later is a new crossing. Jumping from ok to negative at once is one
crossing, announced as negative.
"""

from __future__ import annotations

from datetime import datetime

from .models import SEVERITY, BalanceLevelChange, Level

LOW_SHARE_PERCENT = 20


def level_for(balance: int, monthly: int) -> Level:
    if balance < 0:
        return Level.NEGATIVE
    if balance * 100 < monthly * LOW_SHARE_PERCENT:
        return Level.LOW
    return Level.OK


def current_level(organisation_id: int) -> Level:
    level = (
        BalanceLevelChange.objects.filter(organisation_id=organisation_id)
        .order_by("-pk")
        .values_list("level", flat=True)
        .first()
    )
    return Level(level) if level else Level.OK


def is_crossing(before: Level, after: Level) -> bool:
    return SEVERITY[after] > SEVERITY[before]


def record_level(
    *, organisation_id: int, balance: int, monthly: int, now: datetime, publish: bool = True
) -> tuple[BalanceLevelChange | None, list[int]]:
    """Record a level change, and queue the warnings of a crossing. Call it under the lock.

    Returns the change (if any) and the ids of the warning mails queued.
    """
    from .mails import queue_warning

    before = current_level(organisation_id)
    after = level_for(balance, monthly)
    if after == before:
        return None, []
    change = BalanceLevelChange.objects.create(
        organisation_id=organisation_id,
        level=after,
        balance=balance,
        monthly=monthly,
        created_at=now,
    )
    mails = queue_warning(change, publish=publish) if is_crossing(before, after) else []
    return change, mails
