"""Writing to the hour ledger: adjustments and revisions by staff, and what they both need.

Every write locks the organisation's row first (SELECT ... FOR UPDATE), the month-end job too:
the writes of one organisation are serialised, so a revision and a month-end run that meet can
neither both credit a month nor both miss it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Organisation
from atm_support.minutes import format_minutes

from . import alerts
from .models import AllowanceRevision, Kind, LedgerEntry
from .periods import current_period, period_label

if TYPE_CHECKING:
    from accounts.models import User

QUARTER_HOUR = 15


class AllowanceError(Exception):
    """A write the rules refuse; the message is meant for the person who tried it."""


def rounded_debit(minutes: int) -> int:
    """A ticket's billable minutes, rounded up to the next quarter hour (0 stays 0)."""
    if minutes < 0:
        raise ValueError("billable minutes are never negative")
    return -(-minutes // QUARTER_HOUR) * QUARTER_HOUR


def lock_organisation(organisation_id: int) -> None:
    """Take the organisation's row lock until the end of the current transaction."""
    found = list(
        Organisation.objects.select_for_update().filter(pk=organisation_id).values_list("pk")
    )
    if not found:
        raise AllowanceError(_("Cette organisation n'existe pas."))


def allowance_for(organisation_id: int, period: date) -> int:
    """Minutes per month in force for `period`: the latest revision effective by then, or 0."""
    minutes = (
        AllowanceRevision.objects.filter(
            organisation_id=organisation_id, effective_from__lte=period
        )
        .order_by("-pk")
        .values_list("minutes_per_month", flat=True)
        .first()
    )
    return int(minutes or 0)


def balance_of(organisation_id: int) -> int:
    """The balance is the sum of the ledger, nothing else (no stored total to drift)."""
    total = LedgerEntry.objects.filter(organisation_id=organisation_id).aggregate(
        total=Sum("minutes")
    )["total"]
    return int(total or 0)


def _check_levels(organisation_id: int, now: datetime) -> None:
    alerts.record_level(
        organisation_id=organisation_id,
        balance=balance_of(organisation_id),
        monthly=allowance_for(organisation_id, current_period(now)),
        now=now,
    )


def adjustment_create(
    *,
    organisation: Organisation | int,
    minutes: int,
    memo: str,
    by: User,
    now: datetime | None = None,
) -> LedgerEntry:
    """A staff correction (+ gives hours, - takes some), counted in the current month."""
    memo = memo.strip()
    if not by.is_staff:
        raise AllowanceError(_("Seule l'équipe ATM ajuste un solde."))
    if not memo:
        raise AllowanceError(_("Un ajustement doit avoir un motif."))
    if minutes == 0:
        raise AllowanceError(_("Un ajustement de 0 minute ne change rien."))
    now = now or timezone.now()
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    with transaction.atomic():
        lock_organisation(organisation_id)
        entry = LedgerEntry.objects.create(
            organisation_id=organisation_id,
            kind=Kind.ADJUSTMENT,
            period=current_period(now),
            minutes=minutes,
            memo=memo,
            author=by,
            created_at=now,
        )
        _check_levels(organisation_id, now)
    return entry


@dataclass(frozen=True)
class RevisionResult:
    revision: AllowanceRevision
    # What the revision wrote in the ledger at once: the current month's credit (a new contract)
    # or the difference on the credit already issued; None when the month end will do it.
    entry: LedgerEntry | None


def revision_create(
    *,
    organisation: Organisation | int,
    minutes_per_month: int,
    effective_from: date,
    by: User,
    memo: str = "",
    now: datetime | None = None,
) -> RevisionResult:
    """Revise the monthly allowance from `effective_from` (the current month or a later one).

    From a later month: recorded, and the month-end job credits it when that month begins.
    From the current month, three cases, so that the month's credit always ends up equal to the
    allowance in force for it:
    - its credit was issued already: an adjustment adds (or takes) the difference;
    - the organisation was never credited (a new contract): the month is credited now, the
      month end that opened it having run before the contract existed;
    - otherwise the month end is late: it will credit the month with this revision.
    """
    if not by.is_staff:
        raise AllowanceError(_("Seule l'équipe ATM révise un forfait."))
    if minutes_per_month < 0:
        raise AllowanceError(_("Un forfait ne peut pas être négatif."))
    now = now or timezone.now()
    current = current_period(now)
    if effective_from.day != 1:
        raise AllowanceError(_("Une révision prend effet le premier jour d'un mois."))
    if effective_from < current:
        raise AllowanceError(
            _("Une révision prend effet le mois en cours (%(month)s) ou un mois suivant.")
            % {"month": period_label(current)}
        )
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    entry: LedgerEntry | None = None
    with transaction.atomic():
        lock_organisation(organisation_id)
        previous = allowance_for(organisation_id, effective_from)
        revision = AllowanceRevision.objects.create(
            organisation_id=organisation_id,
            minutes_per_month=minutes_per_month,
            effective_from=effective_from,
            memo=memo.strip(),
            created_by=by,
            created_at=now,
        )
        if effective_from == current:
            entry = _apply_to_current_month(revision, previous, by, now)
        _check_levels(organisation_id, now)
    return RevisionResult(revision, entry)


def _apply_to_current_month(
    revision: AllowanceRevision, previous: int, by: User, now: datetime
) -> LedgerEntry | None:
    organisation_id, period = revision.organisation_id, revision.effective_from
    credits = LedgerEntry.objects.filter(organisation_id=organisation_id, kind=Kind.CREDIT)
    credit = credits.filter(period=period).values_list("minutes", flat=True).first()
    if credit is None:
        if credits.exists():
            return None  # the month end is late for this month: it will credit it
        return LedgerEntry.objects.create(
            organisation_id=organisation_id,
            kind=Kind.CREDIT,
            period=period,
            minutes=revision.minutes_per_month,
            author=by,
            revision=revision,
            created_at=now,
        )
    granted = credit + int(
        LedgerEntry.objects.filter(
            organisation_id=organisation_id,
            kind=Kind.ADJUSTMENT,
            period=period,
            revision__isnull=False,
        ).aggregate(total=Sum("minutes"))["total"]
        or 0
    )
    difference = revision.minutes_per_month - granted
    if difference == 0:
        return None
    # A memo is data, read by clients in the statement: written in the site's language (French),
    # whatever the language of the staff member who revised.
    with translation.override(settings.LANGUAGE_CODE):
        memo = _("Révision du forfait de %(month)s : %(old)s → %(new)s par mois") % {
            "month": period_label(period),
            "old": format_minutes(previous),
            "new": format_minutes(revision.minutes_per_month),
        }
    return LedgerEntry.objects.create(
        organisation_id=organisation_id,
        kind=Kind.ADJUSTMENT,
        period=period,
        minutes=difference,
        revision=revision,
        memo=memo,
        author=by,
        created_at=now,
    )
