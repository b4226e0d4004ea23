"""The hour allowance: revisions of the monthly allowance, the ledger, balance alerts and mails.

Every amount is an integer number of minutes. The ledger and the revisions are append-only: a
wrong entry is corrected by another entry (an adjustment), never edited. PostgreSQL enforces it
too (a trigger refuses UPDATE and DELETE, see migration 0002), and its unique indexes make a
second credit for one (organisation, month) or a second debit of one ticket impossible, whoever
tries: two month-end runs at once, a retry after a crash, a hand-made INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from atm_support.db import AppendOnly
from mail.models import ERROR_MAX, Outbox
from tickets.limits import MEMO_MAX, length_check, limited_text

FIRST_DAY = models.Q(period__day=1)


class AllowanceRevision(AppendOnly):
    """« À compter de <mois>, <n> minutes par mois » for an organisation.

    The allowance of a month is the most recent revision (by id) effective on or before it: the
    latest decision wins from its month on, and the older ones stay as history.
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="allowance_revisions",
    )
    minutes_per_month = models.PositiveIntegerField(_("minutes par mois"))
    effective_from = models.DateField(_("à compter du mois"))
    # One line read on a statement (tickets/limits.py).
    memo = limited_text(_("motif"), MEMO_MAX, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("révision du forfait")
        verbose_name_plural = _("révisions du forfait")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_from__day=1), name="revision_starts_on_first_day"
            ),
            length_check(model="revision", field="memo", limit=MEMO_MAX),
        ]
        indexes = [
            models.Index(fields=["organisation", "effective_from"], name="revision_org_from"),
        ]

    def __str__(self) -> str:
        month = f"{self.effective_from:%Y-%m}"
        return f"{self.organisation_id}: {self.minutes_per_month} min/mois dès {month}"


class Kind(models.TextChoices):
    CREDIT = "credit", _("Crédit mensuel")
    DEBIT = "debit", _("Ticket décompté")
    ADJUSTMENT = "adjustment", _("Ajustement")


class LedgerEntry(AppendOnly):
    """One movement of an organisation's hours: + credit, - ticket debit, ± staff adjustment.

    `period` is the month the entry counts in (its first day): a month's credit is issued when it
    begins, its tickets are debited when it ends, an adjustment counts in the month it is made.
    `author` is None for the month-end job.
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    period = models.DateField(_("mois"))
    minutes = models.IntegerField(_("minutes"))
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    # Set on the adjustment a revision of the current month makes to the credit already issued.
    revision = models.ForeignKey(
        AllowanceRevision,
        verbose_name=_("révision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    # One line read on a statement (tickets/limits.py).
    memo = limited_text(_("motif"), MEMO_MAX, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        ordering = ["period", "pk"]
        verbose_name = _("écriture du crédit d'heures")
        verbose_name_plural = _("écritures du crédit d'heures")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period"],
                condition=models.Q(kind="credit"),
                name="ledger_one_credit_per_month",
            ),
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(kind="debit"),
                name="ledger_one_debit_per_ticket",
            ),
            models.CheckConstraint(condition=FIRST_DAY, name="ledger_period_first_day"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="credit", minutes__gte=0, ticket__isnull=True)
                    | models.Q(kind="debit", minutes__lte=0, ticket__isnull=False)
                    | (models.Q(kind="adjustment", ticket__isnull=True) & ~models.Q(memo=""))
                ),
                name="ledger_entry_shape",
            ),
            length_check(model="ledger", field="memo", limit=MEMO_MAX),
        ]
        indexes = [
            # Covering (PostgreSQL): the Accueil's balance, this month's credit and last month's
            # debits are summed from the index alone (bench/README.md § 5.1: 8-29 → 6 ms).
            models.Index(
                fields=["organisation", "period", "kind"],
                include=["minutes", "revision"],
                name="ledger_org_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period:%Y-%m} {self.minutes:+d} min"


class Level(models.TextChoices):
    """Where a balance stands against the monthly allowance (PRODUCT: warnings on crossing)."""

    OK = "ok", _("suffisant")
    LOW = "low", _("moins de 20 % du forfait")
    NEGATIVE = "negative", _("dépassement")


SEVERITY = {Level.OK: 0, Level.LOW: 1, Level.NEGATIVE: 2}


class BalanceLevelChange(AppendOnly):
    """The balance moved to another level. The latest row per organisation is its level now;
    a move to a more severe level is one crossing, mailed once (unique per change and person)."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="balance_level_changes",
    )
    level = models.CharField(_("niveau"), max_length=10, choices=Level.choices)
    balance = models.IntegerField(_("solde (minutes)"))
    monthly = models.PositiveIntegerField(_("forfait mensuel (minutes)"))
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("changement de niveau du solde")
        verbose_name_plural = _("changements de niveau du solde")
        indexes = [models.Index(fields=["organisation", "-id"], name="level_org_latest")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.level} ({self.balance} min)"


class StatementOptOut(models.Model):
    """A client user who does not want the monthly statement by e-mail (they get it by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="statement_opt_out",
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("refus du relevé mensuel")
        verbose_name_plural = _("refus du relevé mensuel")

    def __str__(self) -> str:
        return str(self.user_id)


class MailKind(models.TextChoices):
    STATEMENT = "statement", _("relevé mensuel")
    LOW = "low", _("solde bas")
    NEGATIVE = "negative", _("solde négatif")


class AllowanceMail(Outbox):
    """The outbox of the allowance mails: one row per (statement or crossing, recipient).

    Written in the transaction of the ledger change it reports; the unique indexes make a second
    statement of one month, or a second warning for one crossing, impossible for one person.
    The delivery columns and their meaning: mail.models.Outbox.
    """

    MESSAGE_ID_PREFIX = "allowance"

    kind = models.CharField(_("type"), max_length=20, choices=MailKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="allowance_mails",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.CASCADE,
        related_name="allowance_mails",
    )
    period = models.DateField(_("mois"), null=True, blank=True)
    level_change = models.ForeignKey(
        BalanceLevelChange,
        verbose_name=_("changement de niveau"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mails",
    )
    # The balance when the mail was decided: later entries do not rewrite what it announced.
    balance = models.IntegerField(_("solde (minutes)"))
    # mail.sending cuts the error it records to this; checked here by the database too.
    last_error = limited_text(_("dernière erreur"), ERROR_MAX, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("e-mail du crédit d'heures")
        verbose_name_plural = _("e-mails du crédit d'heures")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period", "recipient"],
                condition=models.Q(kind="statement"),
                name="allowance_mail_one_statement",
            ),
            models.UniqueConstraint(
                fields=["level_change", "recipient"],
                condition=models.Q(level_change__isnull=False),
                name="allowance_mail_one_warning",
            ),
            length_check(model="allowance_mail", field="last_error", limit=ERROR_MAX),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="allowance_mail_queued_due",
                condition=models.Q(status="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id} ({self.get_status_display()})"

    @classmethod
    def enqueue(cls, ids: Sequence[int], *, patient: bool = False) -> int:
        from .mails import enqueue

        return enqueue(ids, patient=patient)


class OrganisationBalance(Organisation):
    """The admin's « Organisations par solde »: an organisation seen through its hours."""

    class Meta:
        proxy = True
        verbose_name = _("solde d'heures d'une organisation")
        verbose_name_plural = _("organisations par solde d'heures")


class TimeReportPage(LedgerEntry):
    """The admin's « Rapport de temps » (allowances/time_report.py): a page, not a table."""

    class Meta:
        proxy = True
        verbose_name = _("rapport de temps")
        verbose_name_plural = _("rapport de temps")
