"""Every change to a wallet goes through here: atomic, with the wallet row locked, and recorded in the ledger.

Each service joins the caller's transaction when there is one (screening submit and scoring), and opens its own
otherwise. Joining skips a savepoint: two round trips on every submission and every result. It is safe because
every refusal (not enough credits, an unsettled hold) is raised before the service writes anything.

hold / capture / release are keyed by screening and idempotent: calling one twice for the same screening
changes nothing the second time (the ledger's unique (screening, kind) constraint backs this up).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from django.conf import settings
from django.db import transaction

from billing.exceptions import BillingError, InsufficientCredits
from billing.metrics import CREDITS
from billing.models import LedgerEntry, Wallet

if TYPE_CHECKING:
    from accounts.models import User
    from screening.models import Screening

Kind = LedgerEntry.Kind
P = ParamSpec("P")
R = TypeVar("R")


def in_transaction(func: Callable[P, R]) -> Callable[P, R]:
    """Run in the caller's transaction if one is open, else in a new one: atomic without nested savepoints."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        with transaction.atomic():
            return func(*args, **kwargs)

    return wrapper


def wallet_create(*, user: User) -> Wallet:
    """The person's wallet, with the welcome grant the first time."""
    with transaction.atomic():
        wallet, created = Wallet.objects.get_or_create(user=user)
        if created and settings.WELCOME_CREDITS > 0:
            wallet_grant(user=user, amount=settings.WELCOME_CREDITS, description="Welcome credits")
            wallet.refresh_from_db()
    return wallet


def _locked_wallet(user: User) -> Wallet:
    # select_for_update serialises every change to one wallet: two holds can't both read the same balance.
    wallet = Wallet.objects.select_for_update().filter(user=user).first()
    if wallet is None:
        # Accounts made outside sign-up (createsuperuser) get an empty wallet on first use.
        Wallet.objects.get_or_create(user=user)
        wallet = Wallet.objects.select_for_update().get(user=user)
    return wallet


def _record(
    wallet: Wallet, *, kind: str, amount: int, description: str, screening=None, author=None, reason: str = ""
) -> LedgerEntry:
    wallet.save(update_fields=["available", "held", "updated_at"])
    transaction.on_commit(lambda: CREDITS.labels(kind=kind).inc(abs(amount)))
    return LedgerEntry.objects.create(
        wallet=wallet,
        kind=kind,
        amount=amount,
        available_after=wallet.available,
        held_after=wallet.held,
        screening=screening,
        description=description,
        author=author,
        reason=reason,
    )


@in_transaction
def wallet_grant(
    *, user: User, amount: int, description: str = "", author: User | None = None, reason: str = ""
) -> LedgerEntry:
    """Add credits. Staff grants carry their author and reason."""
    if amount <= 0:
        raise ValueError("A grant adds a positive number of credits.")
    wallet = _locked_wallet(user)
    wallet.available += amount
    return _record(
        wallet,
        kind=Kind.GRANT,
        amount=amount,
        description=description or f"{amount} credits granted",
        author=author,
        reason=reason,
    )


@in_transaction
def wallet_adjust(*, user: User, amount: int, author: User, reason: str) -> LedgerEntry:
    """Correct a balance up or down by staff decision. It never takes a balance below zero."""
    if amount == 0:
        raise ValueError("An adjustment changes the balance.")
    if not reason.strip():
        raise ValueError("An adjustment needs a reason.")
    wallet = _locked_wallet(user)
    if wallet.available + amount < 0:
        raise InsufficientCredits(f"Only {wallet.available} credits are available to remove.")
    wallet.available += amount
    verb = "added" if amount > 0 else "removed"
    return _record(
        wallet,
        kind=Kind.ADJUSTMENT,
        amount=amount,
        description=f"{abs(amount)} credits {verb} by staff",
        author=author,
        reason=reason,
    )


@in_transaction
def wallet_hold(*, user: User, amount: int, screening: Screening) -> LedgerEntry:
    """Set `amount` credits aside for a screening. Raises InsufficientCredits and changes nothing if short."""
    if amount <= 0:
        raise ValueError("A hold sets aside a positive number of credits.")
    wallet = _locked_wallet(user)
    existing = LedgerEntry.objects.filter(screening=screening, kind=Kind.HOLD).first()
    if existing is not None:
        return existing
    if wallet.available < amount:
        raise InsufficientCredits(
            f"This model costs {amount} credits and you have {wallet.available}.",
            extra={"available": wallet.available, "cost": amount},
        )
    wallet.available -= amount
    wallet.held += amount
    return _record(
        wallet,
        kind=Kind.HOLD,
        amount=-amount,
        screening=screening,
        description=f"{amount} credits set aside for a {screening.get_model_key_display()} screening",
    )


def _settle(*, screening: Screening, kind: str) -> LedgerEntry:
    wallet = _locked_wallet(screening.owner)
    entries = {entry.kind: entry for entry in LedgerEntry.objects.filter(screening=screening)}
    settled = entries.get(Kind.CAPTURE) or entries.get(Kind.RELEASE)
    if settled is not None:
        if settled.kind != kind:
            raise BillingError(f"The credits for this screening were already {settled.get_kind_display().lower()}d.")
        return settled
    hold = entries.get(Kind.HOLD)
    if hold is None:
        raise BillingError("No credits were set aside for this screening.")
    amount = -hold.amount
    wallet.held -= amount
    name = screening.get_model_key_display()
    if kind == Kind.CAPTURE:
        return _record(
            wallet, kind=kind, amount=-amount, screening=screening, description=f"{name} screening: {amount} spent"
        )
    wallet.available += amount
    return _record(
        wallet, kind=kind, amount=amount, screening=screening, description=f"{name} screening: {amount} returned"
    )


@in_transaction
def wallet_capture(*, screening: Screening) -> LedgerEntry:
    """Spend the credits held for a screening that succeeded."""
    return _settle(screening=screening, kind=Kind.CAPTURE)


@in_transaction
def wallet_release(*, screening: Screening) -> LedgerEntry:
    """Give back the credits held for a screening that failed or timed out."""
    return _settle(screening=screening, kind=Kind.RELEASE)
