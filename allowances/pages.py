"""What the allowances' writes change on the client pages kept by the page cache (atm_support/
pagecache.py: Accueil's balance, a ticket's time): declared by AllowancesConfig.ready."""

from __future__ import annotations

from atm_support import pagecache

from .models import AllowanceRevision, LedgerEntry


def declare() -> None:
    pagecache.shown_in(LedgerEntry)
    pagecache.shown_in(AllowanceRevision)
