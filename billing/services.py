"""Every change to a wallet goes through here: atomic, with the wallet rows locked, and recorded in the ledger.

Each service joins the caller's transaction when there is one (`atomic(savepoint=False)`: no savepoint's round
trips), so an error inside marks the caller's transaction for rollback and it can never commit half a change.
hold / capture / release are keyed by screening and idempotent (the ledger's unique (screening, kind) constraint
backs this up). Billing knows a screening by its id, its owner and the model name its caller gives, nothing more.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import ngettext

from billing.exceptions import BillingError, InsufficientCredits
from billing.metrics import CREDITS
from billing.models import LedgerEntry, Wallet
from billing.selectors import allowance_period, month_start

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
Kind = LedgerEntry.Kind


class Charge(NamedTuple):
    """What billing knows of a screening it settles: its id, whose it is, and its model's name for the ledger."""

    screening_id: uuid.UUID
    user_id: int
    model_name: str


def wallet_create(*, user: User) -> Wallet:
    """The person's wallet, with the welcome grant the first time."""
    with transaction.atomic():
        wallet, created = Wallet.objects.get_or_create(user=user)
        if created and settings.WELCOME_CREDITS > 0:
            wallet_grant(user=user, amount=settings.WELCOME_CREDITS, description="Welcome credits")
            wallet.refresh_from_db()
    return wallet


def _locked_wallets(user_ids: Iterable[int]) -> dict[int, Wallet]:
    """The wallets of these people, locked in primary-key order (by user id), so two transactions changing the same
    wallets never wait on each other in a circle, and two holds can't both read the same balance."""
    user_ids = sorted(set(user_ids))
    wallets = {w.user_id: w for w in Wallet.objects.select_for_update().filter(user_id__in=user_ids).order_by("pk")}
    if len(wallets) < len(user_ids):
        # Accounts made outside sign-up (createsuperuser) get an empty wallet on first use.
        for user_id in set(user_ids) - set(wallets):
            Wallet.objects.get_or_create(user_id=user_id)
        return _locked_wallets(user_ids)
    return wallets


def _entry(wallet: Wallet, *, kind: str, amount: int, description: str, **fields) -> LedgerEntry:
    """The running-balance rule, written once: apply `amount` of `kind` to the (locked) wallet, and return the
    unsaved ledger entry with the balances after it (billing.models.LedgerEntry says what each kind moves)."""
    if kind != Kind.CAPTURE:
        wallet.available += amount
    if kind in (Kind.HOLD, Kind.RELEASE):
        wallet.held -= amount
    elif kind == Kind.CAPTURE:
        wallet.held += amount
    after = {"available_after": wallet.available, "held_after": wallet.held}
    return LedgerEntry(wallet=wallet, kind=kind, amount=amount, description=description, **after, **fields)


def _locked_wallet(user: User) -> Wallet:
    return _locked_wallets([user.pk])[user.pk]


def _record(wallet: Wallet, *, kind: str, amount: int, description: str, **fields) -> LedgerEntry:
    """One change to one locked wallet, applied and stored."""
    return _write([_entry(wallet, kind=kind, amount=amount, description=description, **fields)])[0]


def _write(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """Store the entries and the wallets they changed: one UPDATE per wallet batch and one INSERT."""
    if not entries:
        return entries
    wallets = list({entry.wallet.pk: entry.wallet for entry in entries}.values())
    now = timezone.now()
    for wallet in wallets:
        wallet.updated_at = now
    if len(wallets) == 1:  # the usual case: a plain UPDATE is far cheaper to build than bulk_update's CASE
        (wallet,) = wallets
        Wallet.objects.filter(pk=wallet.pk).update(available=wallet.available, held=wallet.held, updated_at=now)
    else:
        Wallet.objects.bulk_update(wallets, ["available", "held", "updated_at"])
    LedgerEntry.objects.bulk_create(entries)

    def count() -> None:
        for entry in entries:
            CREDITS.labels(kind=entry.kind).inc(abs(entry.amount))

    transaction.on_commit(count)
    return entries


def credits_phrase(amount: int) -> str:
    """ "1 credit", "7 credits", in the active language."""
    return ngettext("%(count)d credit", "%(count)d credits", amount) % {"count": amount}


def _stored_credits(amount: int) -> str:
    # Ledger descriptions are stored in English, whatever the language of the request that wrote them, and
    # worded in the reader's language when shown (billing.selectors.entry_description).
    with translation.override(settings.LANGUAGE_CODE):
        return credits_phrase(amount)


@transaction.atomic(savepoint=False)
def wallet_grant(
    *, user: User, amount: int, description: str = "", author: User | None = None, reason: str = ""
) -> LedgerEntry:
    """Add credits. Staff grants carry their author and an internal reason; `description` is what the person reads."""
    if amount <= 0:
        raise ValueError("A grant adds a positive number of credits.")
    return _record(
        _locked_wallet(user),
        kind=Kind.GRANT,
        amount=amount,
        description=description or f"{_stored_credits(amount)} {'added by our team' if author else 'granted'}",
        author=author,
        reason=reason,
    )


@transaction.atomic(savepoint=False)
def wallet_adjust(*, user: User, amount: int, author: User, reason: str, description: str = "") -> LedgerEntry:
    """Correct a balance up or down by staff decision. It never takes a balance below zero.

    `reason` is for staff only; `description` is what the person reads on their credits page.
    """
    if amount == 0:
        raise ValueError("An adjustment changes the balance.")
    if not reason.strip():
        raise ValueError("An adjustment needs a reason.")
    wallet = _locked_wallet(user)
    if wallet.available + amount < 0:
        raise InsufficientCredits(
            ngettext(
                "Only %(count)d credit is available to remove.",
                "Only %(count)d credits are available to remove.",
                wallet.available,
            )
            % {"count": wallet.available}
        )
    description = description or f"{_stored_credits(abs(amount))} {'added' if amount > 0 else 'removed'} by our team"
    return _record(wallet, kind=Kind.ADJUSTMENT, amount=amount, description=description, author=author, reason=reason)


@transaction.atomic(savepoint=False)
def wallet_hold(*, user: User, amount: int, screening_id: uuid.UUID, new_screening: bool = False) -> LedgerEntry:
    """Set `amount` credits aside for a screening. Raises InsufficientCredits and changes nothing if short.

    new_screening: the screening was created in this transaction, so no hold for it can exist yet and the
    look-up for an earlier one is skipped (the ledger's unique constraint still backs this up).
    """
    if amount <= 0:
        raise ValueError("A hold sets aside a positive number of credits.")
    wallet = _locked_wallet(user)
    existing = None if new_screening else LedgerEntry.objects.filter(screening_id=screening_id, kind=Kind.HOLD).first()
    if existing is not None:
        return existing
    if wallet.available < amount:
        raise InsufficientCredits(
            ngettext(
                "This model costs %(cost)s and you have %(count)d.",
                "This model costs %(cost)s and you have %(count)d.",
                wallet.available,
            )
            % {"cost": credits_phrase(amount), "count": wallet.available},
            extra={"available": wallet.available, "cost": amount},
        )
    description = f"{_stored_credits(amount)} set aside for a check"
    return _record(wallet, kind=Kind.HOLD, amount=-amount, screening_id=screening_id, description=description)


@transaction.atomic(savepoint=False)
def wallet_settle_many(*, charges: Sequence[Charge], kind: str) -> list[LedgerEntry]:
    """Capture (spend) or release (give back) the credits held for these screenings, in a fixed number of statements.

    Per screening: a settlement already made of the same kind is returned, not repeated; one of the other kind, or no
    hold at all, raises BillingError and nothing is written (a caller settling a batch settles it one screening at a
    time then). Wallets are locked in primary-key order.
    """
    if kind not in (Kind.CAPTURE, Kind.RELEASE):
        raise ValueError(f"A settlement is a capture or a release, not {kind!r}.")
    if not charges:
        return []
    wallets = _locked_wallets(charge.user_id for charge in charges)
    entries: dict[uuid.UUID | None, dict[str, LedgerEntry]] = {}
    for entry in LedgerEntry.objects.filter(screening_id__in=[charge.screening_id for charge in charges]):
        entries.setdefault(entry.screening_id, {})[entry.kind] = entry
    settled: list[LedgerEntry] = []
    new: list[LedgerEntry] = []
    for charge in charges:
        kinds = entries.get(charge.screening_id, {})
        if earlier := kinds.get(Kind.CAPTURE) or kinds.get(Kind.RELEASE):
            if earlier.kind != kind:
                raise BillingError(
                    f"The credits for this screening were already {earlier.get_kind_display().lower()}d."
                )
            settled.append(earlier)
            continue
        hold = kinds.get(Kind.HOLD)
        if hold is None:
            raise BillingError("No credits were set aside for this screening.")
        held = _stored_credits(-hold.amount)
        if kind == Kind.CAPTURE:
            description = f"Check with the {charge.model_name} model: {held} spent"
        else:
            description = f"Check with the {charge.model_name} model did not finish: {held} returned"
        # A capture spends the held credits (-n); a release gives them back (+n).
        amount = hold.amount if kind == Kind.CAPTURE else -hold.amount
        entry = _entry(
            wallets[charge.user_id], kind=kind, amount=amount, screening_id=charge.screening_id, description=description
        )
        new.append(entry)
        settled.append(entry)
    _write(new)
    return settled


def wallet_capture_many(*, charges: Sequence[Charge]) -> list[LedgerEntry]:
    """Spend the credits held for screenings that succeeded."""
    return wallet_settle_many(charges=charges, kind=Kind.CAPTURE)


def wallet_release_many(*, charges: Sequence[Charge]) -> list[LedgerEntry]:
    """Give back the credits held for screenings that failed or timed out."""
    return wallet_settle_many(charges=charges, kind=Kind.RELEASE)


def wallet_capture(*, user: User, screening_id: uuid.UUID, model_name: str) -> LedgerEntry:
    """Spend the credits held for one screening (`model_name`: its model, for the ledger)."""
    return wallet_capture_many(charges=[Charge(screening_id=screening_id, user_id=user.pk, model_name=model_name)])[0]


def wallet_release(*, user: User, screening_id: uuid.UUID, model_name: str) -> LedgerEntry:
    """Give back the credits held for one screening."""
    return wallet_release_many(charges=[Charge(screening_id=screening_id, user_id=user.pk, model_name=model_name)])[0]


# --- The monthly allowance ---------------------------------------------------------------------------------------


def allowance_grant(*, user: User, period: str) -> LedgerEntry | None:
    """Grant `user` the allowance for `period`, or nothing if they already have it.

    The ledger's unique (wallet, period) constraint makes it once per month: of two beat processes or a retry, one
    inserts and the other's INSERT fails and rolls back its wallet change. exists() spares that in the usual case.
    """
    amount = settings.MONTHLY_ALLOWANCE_CREDITS
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            wallet = _locked_wallet(user)
            if LedgerEntry.objects.filter(wallet=wallet, kind=Kind.ALLOWANCE, period=period).exists():
                return None
            return _record(
                wallet,
                kind=Kind.ALLOWANCE,
                amount=amount,
                period=period,
                description=f"Your free monthly {_stored_credits(amount)}",
            )
    except IntegrityError:
        # Another process granted it between our check and our insert; the constraint kept it to one.
        return None


def allowance_grant_month(*, now: datetime.datetime | None = None) -> int:
    """Grant this month's allowance to everyone due it (safe to run at any time, from any number of processes).

    Due: an active account that joined before this month began (the welcome credits stand in for the month someone
    joins) and has no allowance for this month yet. Returns how many were granted.
    """
    from accounts.models import User

    period = allowance_period(now)
    already = LedgerEntry.objects.filter(wallet__user=OuterRef("pk"), kind=Kind.ALLOWANCE, period=period)
    due = User.objects.filter(is_active=True, date_joined__lt=month_start(now)).filter(~Exists(already)).order_by("pk")
    granted = 0
    for user in due.iterator(chunk_size=500):
        if allowance_grant(user=user, period=period) is not None:
            granted += 1
    logger.info("monthly allowance granted", extra={"period": period, "granted": granted})
    return granted
