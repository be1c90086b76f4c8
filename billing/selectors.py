from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


def allowance_period(moment: datetime.datetime | None = None) -> str:
    """The month an allowance is for, as its ledger key: "2026-12". Months are counted in UTC."""
    moment = (moment or timezone.now()).astimezone(datetime.UTC)
    return f"{moment:%Y-%m}"


def month_start(moment: datetime.datetime | None = None) -> datetime.datetime:
    moment = (moment or timezone.now()).astimezone(datetime.UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def allowance_next(*, user: User, now: datetime.datetime | None = None) -> datetime.date:
    """The day the person's next monthly allowance arrives: today if this month's is due and not yet granted,
    else the first of next month."""
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


# The texts billing.services stores (in English) and how each reads in the active language. A description typed
# by staff matches none of them and is shown as typed.
_CREDITS = r"(?P<count>\d+) credits?"
_STORED_DESCRIPTIONS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^Welcome credits$"), lambda m: _("Welcome credits")),
    (re.compile(rf"^{_CREDITS} granted$"), lambda m: _credits_text(m, "granted")),
    (re.compile(rf"^{_CREDITS} added by our team$"), lambda m: _credits_text(m, "added")),
    (re.compile(rf"^{_CREDITS} removed by our team$"), lambda m: _credits_text(m, "removed")),
    (re.compile(rf"^{_CREDITS} set aside for a check$"), lambda m: _credits_text(m, "held")),
    (re.compile(rf"^Your free monthly {_CREDITS}$"), lambda m: _credits_text(m, "monthly")),
    (re.compile(rf"^Check with the (?P<model>.+) model: {_CREDITS} spent$"), lambda m: _credits_text(m, "spent")),
    (
        re.compile(rf"^Check with the (?P<model>.+) model did not finish: {_CREDITS} returned$"),
        lambda m: _credits_text(m, "returned"),
    ),
)


def _credits_text(match: re.Match[str], what: str) -> str:
    count = int(match["count"])
    model = match.groupdict().get("model")
    # The English model name stored in the text, in the reader's language (the names are in the catalogue).
    values = {"count": count, "model": _(model) if model else ""}
    if what == "granted":
        return ngettext("%(count)d credit granted", "%(count)d credits granted", count) % values
    if what == "added":
        return ngettext("%(count)d credit added by our team", "%(count)d credits added by our team", count) % values
    if what == "removed":
        return ngettext("%(count)d credit removed by our team", "%(count)d credits removed by our team", count) % values
    if what == "held":
        return (
            ngettext("%(count)d credit set aside for a check", "%(count)d credits set aside for a check", count)
            % values
        )
    if what == "monthly":
        return ngettext("Your free monthly %(count)d credit", "Your free monthly %(count)d credits", count) % values
    if what == "spent":
        return (
            ngettext(
                "Check with the %(model)s model: %(count)d credit spent",
                "Check with the %(model)s model: %(count)d credits spent",
                count,
            )
            % values
        )
    return (
        ngettext(
            "Check with the %(model)s model did not finish: %(count)d credit returned",
            "Check with the %(model)s model did not finish: %(count)d credits returned",
            count,
        )
        % values
    )


def entry_description(description: str) -> str:
    """A ledger entry's description in the reader's language (stored in English by billing.services)."""
    for pattern, words in _STORED_DESCRIPTIONS:
        match = pattern.match(description)
        if match:
            return words(match)
    return description
