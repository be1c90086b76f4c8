from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, When
from django.utils import timezone

from billing.models import LedgerEntry, Wallet

if TYPE_CHECKING:
    from accounts.models import User

Kind = LedgerEntry.Kind


def wallet_balance(*, user: User) -> dict[str, int]:
    row = Wallet.objects.filter(user=user).values("available", "held").first()
    return {"available": row["available"], "held": row["held"]} if row else {"available": 0, "held": 0}


def ledger_list(*, user: User) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(wallet__user=user).order_by("-created_at", "-id")


def ledger_for_person(*, user: User) -> QuerySet[LedgerEntry]:
    """The credits page: one line per check. A hold is shown only while its check is in progress; once the check
    is settled its capture (charged) or release (returned) stands for it. Every row stays in the data and the admin.
    """
    settled = LedgerEntry.objects.filter(screening=OuterRef("screening"), kind__in=[Kind.CAPTURE, Kind.RELEASE])
    return ledger_list(user=user).exclude(Q(kind=Kind.HOLD) & Exists(settled))


def allowance_next(*, user: User, now: datetime.datetime | None = None) -> datetime.date:
    """The day the person's next monthly allowance arrives: today if this month's is due and not yet granted,
    else the first of next month."""
    from billing.services import allowance_period, month_start

    start = month_start(now)
    due_now = (
        user.date_joined < start
        and not LedgerEntry.objects.filter(
            wallet__user=user, kind=Kind.ALLOWANCE, period=allowance_period(now)
        ).exists()
    )
    if due_now:
        return (now or timezone.now()).astimezone(datetime.UTC).date()
    return (start + datetime.timedelta(days=32)).replace(day=1).date()


def wallet_audit() -> list[dict]:
    """Wallets whose balances differ from what their ledger adds up to. Empty when all agree."""
    available_from_ledger = Sum(
        Case(
            When(
                entries__kind__in=[Kind.GRANT, Kind.ALLOWANCE, Kind.ADJUSTMENT, Kind.HOLD, Kind.RELEASE],
                then=F("entries__amount"),
            ),
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
        dict(row)
        for row in rows
        if (row["ledger_available"] or 0) != row["available"] or (row["ledger_held"] or 0) != row["held"]
    ]
