"""`allowance_report`: every organisation's month in a few queries (one GROUP BY on the ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Organisation

from .models import AllowanceRevision, Kind


@dataclass(frozen=True)
class ReportRow:
    organisation: str
    monthly: int
    opening: int
    credit: int
    tickets: int
    debited: int  # positive
    adjusted: int
    closing: int


def allowance_report(period: date) -> list[ReportRow]:
    """One row per organisation for `period`, the lowest closing balance first."""

    def total(condition: Q) -> Coalesce:
        return Coalesce(Sum("ledger_entries__minutes", filter=condition), Value(0))

    in_month = Q(ledger_entries__period=period)
    monthly = Subquery(
        AllowanceRevision.objects.filter(organisation=OuterRef("pk"), effective_from__lte=period)
        .order_by("-pk")
        .values("minutes_per_month")[:1],
        output_field=IntegerField(),
    )
    rows = (
        Organisation.objects.annotate(
            monthly=Coalesce(monthly, Value(0)),
            opening=total(Q(ledger_entries__period__lt=period)),
            credit=total(in_month & Q(ledger_entries__kind=Kind.CREDIT)),
            debited=total(in_month & Q(ledger_entries__kind=Kind.DEBIT)),
            adjusted=total(in_month & Q(ledger_entries__kind=Kind.ADJUSTMENT)),
            debit_count=Count(
                "ledger_entries", filter=in_month & Q(ledger_entries__kind=Kind.DEBIT)
            ),
        )
        .values_list("name", "monthly", "opening", "credit", "debit_count", "debited", "adjusted")
        .order_by("name")
    )
    report = [
        ReportRow(
            organisation=name,
            monthly=monthly,
            opening=opening,
            credit=credit,
            tickets=tickets,
            debited=-debited,
            adjusted=adjusted,
            closing=opening + credit + debited + adjusted,
        )
        for name, monthly, opening, credit, tickets, debited, adjusted in rows
    ]
    return sorted(report, key=lambda row: (row.closing, row.organisation))
