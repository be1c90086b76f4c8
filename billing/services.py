"""Every change to a wallet goes through here: atomic, with the wallet row locked, and recorded in the ledger.

Each service joins the caller's transaction when there is one (screening submit and scoring), and opens its own
otherwise: `transaction.atomic(savepoint=False)`, which skips a savepoint (two round trips on every submission and
every result). An error inside marks the caller's transaction for rollback, so a caller that catches it can never
commit a half-written change.

hold / capture / release are keyed by screening and idempotent: calling one twice for the same screening
changes nothing the second time (the ledger's unique (screening, kind) constraint backs this up). Billing knows a
screening by its id, its owner and the model name its caller gives, never by its fields.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import ngettext
from django_prometheus.models import model_inserts, model_updates

from billing.exceptions import BillingError, InsufficientCredits
from billing.metrics import CREDITS
from billing.models import LedgerEntry, Wallet

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
Kind = LedgerEntry.Kind


class Charge(NamedTuple):
    """What billing knows of a screening it settles: its id, whose it is, and its model's name for the ledger."""

    screening_id: uuid.UUID
    user_id: int
    model_name: str
    # The credits its caller set aside for it (the screening's cost). The one-statement capture takes the hold only
    # when it is this amount; the other paths read the amount from the hold.
    amount: int = 0


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
    wallet: Wallet,
    *,
    kind: str,
    amount: int,
    description: str,
    screening_id: uuid.UUID | None = None,
    author: User | None = None,
    reason: str = "",
    period: str = "",
) -> LedgerEntry:
    wallet.save(update_fields=["available", "held", "updated_at"])
    transaction.on_commit(lambda: CREDITS.labels(kind=kind).inc(abs(amount)))
    return LedgerEntry.objects.create(
        wallet=wallet,
        kind=kind,
        amount=amount,
        available_after=wallet.available,
        held_after=wallet.held,
        screening_id=screening_id,
        description=description,
        author=author,
        reason=reason,
        period=period,
    )


def credits_phrase(amount: int) -> str:
    """ "1 credit", "7 credits", in the active language."""
    return ngettext("%(count)d credit", "%(count)d credits", amount) % {"count": amount}


def capture_description(*, model_name: str, amount: int) -> str:
    """The ledger line of a capture, stored in English (see _stored_credits)."""
    return f"Check with the {model_name} model: {_stored_credits(amount)} spent"


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
    wallet = _locked_wallet(user)
    wallet.available += amount
    return _record(
        wallet,
        kind=Kind.GRANT,
        amount=amount,
        description=description or f"{_stored_credits(amount)} granted",
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
    wallet.available += amount
    verb = "added" if amount > 0 else "removed"
    return _record(
        wallet,
        kind=Kind.ADJUSTMENT,
        amount=amount,
        description=description or f"{_stored_credits(abs(amount))} {verb} by our team",
        author=author,
        reason=reason,
    )


def wallet_staff_change(
    *, user: User, kind: str, amount: int, author: User, reason: str, description: str = ""
) -> LedgerEntry:
    """A grant or adjustment by a staff member, with its internal reason and what the person will read."""
    if kind == Kind.GRANT:
        return wallet_grant(
            user=user,
            amount=amount,
            author=author,
            reason=reason,
            description=description or f"{_stored_credits(amount)} added by our team",
        )
    if kind == Kind.ADJUSTMENT:
        return wallet_adjust(user=user, amount=amount, author=author, reason=reason, description=description)
    raise ValueError(f"Staff cannot record a {kind!r} entry.")


def staff_change_audit_message(entry: LedgerEntry, *, confirmed: bool) -> str:
    """The admin history line for a staff change: amount, both texts, and whether it needed confirming."""
    line = (
        f"Credits: {entry.get_kind_display().lower()} {entry.amount:+d} (ledger entry {entry.pk}). "
        f'Shown to the person: "{entry.description}". Internal reason: "{entry.reason}".'
    )
    if confirmed:
        line += f" Confirmed as a change above {settings.STAFF_GRANT_CONFIRM_ABOVE} credits."
    return line


@transaction.atomic(savepoint=False)
def wallet_hold(*, user: User, amount: int, screening_id: uuid.UUID, new_screening: bool = False) -> LedgerEntry:
    """Set `amount` credits aside for a screening. Raises InsufficientCredits and changes nothing if short.

    new_screening: the screening was created in this transaction, so no hold for it can exist yet and the
    look-up for an earlier one is skipped (the ledger's unique constraint still backs this up).
    """
    if amount <= 0:
        raise ValueError("A hold sets aside a positive number of credits.")
    if (
        new_screening
        and connection.vendor == "postgresql"
        and (entry := _hold_in_one_statement(user, amount, screening_id))
    ):
        return entry
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
    wallet.available -= amount
    wallet.held += amount
    return _record(
        wallet,
        kind=Kind.HOLD,
        amount=-amount,
        screening_id=screening_id,
        description=f"{_stored_credits(amount)} set aside for a check",
    )


_HOLD_SQL = f"""
    WITH wallet AS (
        UPDATE {Wallet._meta.db_table}
        SET available = available - %(amount)s, held = held + %(amount)s, updated_at = %(now)s
        WHERE user_id = %(user_id)s AND available >= %(amount)s
        RETURNING id, available, held
    )
    INSERT INTO {LedgerEntry._meta.db_table}
        (wallet_id, kind, amount, available_after, held_after, screening_id, description, reason, period, created_at)
    SELECT id, %(kind)s, -%(amount)s, available, held, %(screening_id)s, %(description)s, '', '', %(now)s FROM wallet
    RETURNING id, wallet_id, available_after, held_after
"""  # noqa: S608 (the table names are the models' own)


def _hold_in_one_statement(user: User, amount: int, screening_id: uuid.UUID) -> LedgerEntry | None:
    """The hold of a new screening as one statement, or None when it does not apply (short of credits, no wallet).

    The conditional UPDATE takes the wallet's row lock itself and changes it only when the credits are there, so
    it is the lock, the check and the change of the three-statement path at once (a submission's largest cost
    was those round trips); the ledger row is written by the same statement. None sends the caller down the
    locked path, which says how many credits are missing, or opens a wallet for an account made without one.
    """
    now = timezone.now()
    description = f"{credits_phrase(amount)} set aside for a check"
    params: dict[str, Any] = {
        "amount": amount,
        "now": now,
        "user_id": user.pk,
        "kind": str(Kind.HOLD),
        "screening_id": screening_id,
        "description": description,
    }
    with connection.cursor() as cursor:
        cursor.execute(_HOLD_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    entry_id, wallet_id, available_after, held_after = row
    # What the ORM's save() of both rows would have counted (django-prometheus model metrics).
    model_updates.labels("wallet").inc()
    model_inserts.labels("ledger_entry").inc()
    transaction.on_commit(lambda: CREDITS.labels(kind=Kind.HOLD).inc(amount))
    entry = LedgerEntry(
        id=entry_id,
        wallet_id=wallet_id,
        kind=Kind.HOLD,
        amount=-amount,
        available_after=available_after,
        held_after=held_after,
        screening_id=screening_id,
        description=description,
        created_at=now,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def _settle(*, user: User, screening_id: uuid.UUID, model_name: str, kind: str) -> LedgerEntry:
    wallet = _locked_wallet(user)
    entries = {entry.kind: entry for entry in LedgerEntry.objects.filter(screening_id=screening_id)}
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
    name = model_name
    if kind == Kind.CAPTURE:
        return _record(
            wallet,
            kind=kind,
            amount=-amount,
            screening_id=screening_id,
            description=capture_description(model_name=name, amount=amount),
        )
    wallet.available += amount
    return _record(
        wallet,
        kind=kind,
        amount=amount,
        screening_id=screening_id,
        description=f"Check with the {name} model did not finish: {_stored_credits(amount)} returned",
    )


@transaction.atomic(savepoint=False)
def wallet_capture(*, user: User, screening_id: uuid.UUID, model_name: str) -> LedgerEntry:
    """Spend the credits held for a screening that succeeded (`model_name`: its model, for the ledger)."""
    return _settle(user=user, screening_id=screening_id, model_name=model_name, kind=Kind.CAPTURE)


@transaction.atomic(savepoint=False)
def wallet_release(*, user: User, screening_id: uuid.UUID, model_name: str) -> LedgerEntry:
    """Give back the credits held for a screening that failed or timed out."""
    return _settle(user=user, screening_id=screening_id, model_name=model_name, kind=Kind.RELEASE)


# --- The monthly allowance ---------------------------------------------------------------------------------------


def allowance_period(moment: datetime.datetime | None = None) -> str:
    """The month an allowance is for, as its ledger key: "2026-12". Months are counted in UTC."""
    moment = (moment or timezone.now()).astimezone(datetime.UTC)
    return f"{moment:%Y-%m}"


def month_start(moment: datetime.datetime | None = None) -> datetime.datetime:
    moment = (moment or timezone.now()).astimezone(datetime.UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def allowance_grant(*, user: User, period: str) -> LedgerEntry | None:
    """Grant `user` the allowance for `period`, or nothing if they already have it.

    The ledger's unique (wallet, period) constraint for allowances is what makes it once per month: two beat
    processes, or a retry, that both get here insert one row and the other's INSERT fails and rolls back its
    wallet change too. The exists() check only spares that failure in the common case.
    """
    amount = settings.MONTHLY_ALLOWANCE_CREDITS
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            wallet = _locked_wallet(user)
            if LedgerEntry.objects.filter(wallet=wallet, kind=Kind.ALLOWANCE, period=period).exists():
                return None
            wallet.available += amount
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
    """Grant this month's allowance to everyone due it; returns how many were granted. Safe to run at any time,
    as often as wanted, from any number of processes.

    Due: an active account that joined before this month began (the month someone joins, the welcome credits
    stand in for it) and has no allowance for this month yet.
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


@transaction.atomic(savepoint=False)
def wallet_capture_many(*, charges: Sequence[Charge]) -> list[LedgerEntry]:
    """Spend the credits held for many screenings that succeeded, in a fixed number of statements.

    The same rules as wallet_capture for each screening: a capture already made is returned, not repeated; a
    screening whose credits were released or never held raises BillingError, and nothing is written (the
    caller settles the batch one screening at a time then). Wallets are locked in primary-key order, so two
    batches over the same people never wait on each other in a circle.
    """
    if not charges:
        return []
    owner_ids = sorted({charge.user_id for charge in charges})
    locked = Wallet.objects.select_for_update().filter(user_id__in=owner_ids).order_by("pk")
    wallets = {wallet.user_id: wallet for wallet in locked}
    entries: dict[object, dict[str, LedgerEntry]] = {}
    for entry in LedgerEntry.objects.filter(screening_id__in=[charge.screening_id for charge in charges]):
        entries.setdefault(entry.screening_id, {})[entry.kind] = entry
    now = timezone.now()
    settled: list[LedgerEntry] = []
    new: list[LedgerEntry] = []
    for charge in charges:
        kinds = entries.get(charge.screening_id, {})
        if Kind.CAPTURE in kinds:
            settled.append(kinds[Kind.CAPTURE])
            continue
        if Kind.RELEASE in kinds:
            raise BillingError("The credits for this screening were already released.")
        hold = kinds.get(Kind.HOLD)
        wallet = wallets.get(charge.user_id)
        if hold is None or wallet is None:
            raise BillingError("No credits were set aside for this screening.")
        amount = -hold.amount
        wallet.held -= amount
        wallet.updated_at = now
        entry = LedgerEntry(
            wallet=wallet,
            kind=Kind.CAPTURE,
            amount=-amount,
            available_after=wallet.available,
            held_after=wallet.held,
            screening_id=charge.screening_id,
            description=capture_description(model_name=charge.model_name, amount=amount),
        )
        new.append(entry)
        settled.append(entry)
    if new:
        touched = list({entry.wallet.pk: entry.wallet for entry in new}.values())
        if len(touched) == 1:  # one person's screenings: a plain UPDATE is far cheaper to build than bulk_update
            Wallet.objects.filter(pk=touched[0].pk).update(held=touched[0].held, updated_at=now)
        else:
            Wallet.objects.bulk_update(touched, ["held", "updated_at"])
        LedgerEntry.objects.bulk_create(new)
        spent = sum(-entry.amount for entry in new)
        transaction.on_commit(lambda: CREDITS.labels(kind=Kind.CAPTURE).inc(spent))
    return settled


# --- The capture as part of a caller's statement (PostgreSQL) ----------------------------------------------------
# screening.services stores a batch's results and captures their holds in one statement, whose billing part is
# written here. The caller's statement is
#
#     WITH {CAPTURABLE_SQL}, <its own CTEs>, settled AS (<its UPDATE ... RETURNING screening_id>), {CAPTURE_SQL}
#     SELECT ... FROM captured ...
#
# with capture_params(charges) among its parameters. `capturable` holds the charges that may be captured: their
# hold is there, of the amount the caller expects, in the wallet of the person it names, and nothing was captured
# or released for them yet. The caller marks a screening finished only when it is capturable (a screening whose
# credits were returned is not also charged) and names in `settled` the ones it did; CAPTURE_SQL then takes their
# credits out of `held` and appends the capture entries, returning `captured(screening_id, amount)`.
#
# Locks: every screening row the caller's UPDATE takes is taken before the first wallet's. `locked` reads the
# wallets to lock from an array built of the whole of `settled` (an InitPlan, run to its end before the wallet
# scan starts), and locks them in primary-key order (its FOR UPDATE applies after the ORDER BY), as
# wallet_capture_many does: the only waits for a wallet are there, in that order, so this never waits in a circle
# with a submission, a sweep or another batch. The wallet UPDATE and the ledger INSERT reach only rows `locked`
# has already locked.
_LEDGER = LedgerEntry._meta.db_table
_WALLET = Wallet._meta.db_table
CAPTURABLE_SQL = f"""
    charge AS (
        SELECT * FROM unnest(
            %(charge_screening_ids)s::uuid[], %(charge_user_ids)s::bigint[], %(charge_amounts)s::integer[],
            %(charge_descriptions)s::text[]
        ) WITH ORDINALITY AS c(screening_id, user_id, amount, description, ordinal)
    ),
    capturable AS (
        SELECT c.screening_id, hold.wallet_id, c.amount, c.description, c.ordinal
        FROM charge c
        JOIN {_LEDGER} hold ON hold.screening_id = c.screening_id AND hold.kind = %(kind_hold)s
            AND hold.amount = -c.amount
            -- A subquery, not a join: the hold is found by its screening, never by scanning the wallet's ledger.
            AND hold.wallet_id = (SELECT id FROM {_WALLET} WHERE user_id = c.user_id)
        WHERE NOT EXISTS (
            SELECT FROM {_LEDGER} settled_entry
            WHERE settled_entry.screening_id = c.screening_id
            AND settled_entry.kind IN (%(kind_capture)s, %(kind_release)s)
        )
    )
"""  # noqa: S608 (the table names are the models' own)
CAPTURE_SQL = f"""
    capture AS (SELECT capturable.* FROM capturable JOIN settled USING (screening_id)),
    locked AS MATERIALIZED (
        SELECT id, available, held FROM {_WALLET}
        WHERE id = ANY (ARRAY(SELECT wallet_id FROM capture))
        ORDER BY id
        FOR UPDATE
    ),
    entry AS (
        SELECT capture.screening_id, capture.wallet_id, capture.amount, capture.description,
            locked.available AS available_after,
            locked.held - sum(capture.amount) OVER (PARTITION BY capture.wallet_id ORDER BY capture.ordinal)
                AS held_after
        FROM capture JOIN locked ON locked.id = capture.wallet_id
    ),
    wallet_update AS (
        UPDATE {_WALLET} wallet SET held = wallet.held - spent.amount, updated_at = %(capture_now)s
        FROM locked JOIN (SELECT wallet_id, sum(amount) AS amount FROM capture GROUP BY wallet_id) spent
            ON spent.wallet_id = locked.id
        WHERE wallet.id = locked.id
        RETURNING wallet.id
    ),
    captured AS (
        INSERT INTO {_LEDGER} (
            wallet_id, kind, amount, available_after, held_after, screening_id, description, reason, period, created_at
        )
        SELECT wallet_id, %(kind_capture)s, -amount, available_after, held_after, screening_id, description, '', '',
            %(capture_now)s
        FROM entry
        RETURNING screening_id, -amount AS amount
    )
"""  # noqa: S608 (the table names are the models' own)


def capture_params(charges: Sequence[Charge]) -> dict[str, Any]:
    """The parameters of CAPTURABLE_SQL and CAPTURE_SQL for these charges (each with its amount)."""
    return {
        "charge_screening_ids": [charge.screening_id for charge in charges],
        "charge_user_ids": [charge.user_id for charge in charges],
        "charge_amounts": [charge.amount for charge in charges],
        "charge_descriptions": [
            capture_description(model_name=charge.model_name, amount=charge.amount) for charge in charges
        ],
        "kind_hold": str(Kind.HOLD),
        "kind_capture": str(Kind.CAPTURE),
        "kind_release": str(Kind.RELEASE),
        "capture_now": timezone.now(),
    }


def captured_in_statement(*, amounts: Sequence[int]) -> None:
    """What a statement built with CAPTURE_SQL leaves to do once it captured these amounts: the credits metric.

    No django-prometheus model counter moves: wallet_capture_many, which this replaces, writes with QuerySet.update
    and bulk_create, which those counters do not see either.
    """
    spent = sum(amounts)
    if spent:
        transaction.on_commit(lambda: CREDITS.labels(kind=Kind.CAPTURE).inc(spent))
