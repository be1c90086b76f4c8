from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, F, IntegerField, QuerySet, Sum, When

from billing.models import LedgerEntry, Wallet

if TYPE_CHECKING:
    from accounts.models import User

Kind = LedgerEntry.Kind


def wallet_balance(*, user: User) -> dict[str, int]:
    row = Wallet.objects.filter(user=user).values("available", "held").first()
    return row or {"available": 0, "held": 0}


def ledger_list(*, user: User) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(wallet__user=user).order_by("-created_at", "-id")


def wallet_audit() -> list[dict]:
    """Wallets whose balances differ from what their ledger adds up to. Empty when all agree."""
    available_from_ledger = Sum(
        Case(
            When(entries__kind__in=[Kind.GRANT, Kind.ADJUSTMENT, Kind.HOLD, Kind.RELEASE], then=F("entries__amount")),
            default=0,
            output_field=IntegerField(),
        )
    )
    # held grows by a hold's magnitude and shrinks by each capture or release.
    held_from_ledger = Sum(
        Case(
            When(entries__kind__in=[Kind.HOLD, Kind.RELEASE], then=-F("entries__amount")),
            When(entries__kind=Kind.CAPTURE, then=F("entries__amount")),
            default=0,
            output_field=IntegerField(),
        )
    )
    rows = (
        Wallet.objects.annotate(ledger_available=available_from_ledger, ledger_held=held_from_ledger)
        .values("user__email", "available", "held", "ledger_available", "ledger_held")
        .order_by("user__email")
    )
    return [
        row
        for row in rows
        if (row["ledger_available"] or 0) != row["available"] or (row["ledger_held"] or 0) != row["held"]
    ]
