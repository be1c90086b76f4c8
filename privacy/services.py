"""Export and erasure: everything the site holds about a person, across every app, out or gone.

The top layer (see the map at the top of the README): it may read every app below it, and none of them imports it.
"""

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from billing.models import LedgerEntry, Wallet
from billing.selectors import ledger_list, wallet_balance
from core.models import AccountErasure
from reminders.selectors import reminder_preference_export
from screening.models import Screening
from screening.selectors import screening_list
from sharing.selectors import share_link_list
from symptoms.selectors import symptom_check_list

EXPORT_FORMAT = "mental-health-checker-export/1"
WRONG_PASSWORD = gettext_lazy("That is not your current password. Nothing was deleted.")


def export_filename() -> str:
    return f"mental-health-checker-export-{timezone.now():%Y-%m-%d}.json"


def user_export(*, user: User) -> dict[str, Any]:
    """Everything the site holds about the person, as JSON-ready data: profile, every screening, the ledger."""
    screenings = screening_list(user=user).order_by("created_at")
    ledger = ledger_list(user=user).order_by("created_at", "id")
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "country": user.country,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "balance": wallet_balance(user=user),
        "screenings": [_screening_export(screening) for screening in screenings],
        "symptom_checks": [
            {
                "id": str(check.id),
                "created_at": check.created_at.isoformat(),
                "instrument": check.instrument,
                "answers": check.answers,
                "total": check.total,
                "band": check.band,
                "safety_flag": check.safety_flag,
            }
            for check in symptom_check_list(user=user).order_by("created_at")
        ],
        # What each link shared and when it was opened; never its token or the token's hash.
        "share_links": [
            {
                "id": str(link.id),
                "created_at": link.created_at.isoformat(),
                "expires_at": link.expires_at.isoformat(),
                "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
                "contents": link.contents,
                "language": link.language,
                "show_name": link.show_name,
                "openings": [
                    {"opened_at": opening.opened_at.isoformat(), "client": opening.client, "format": opening.format}
                    for opening in link.openings.all()
                ],
            }
            for link in share_link_list(user=user).order_by("created_at")
        ],
        "reminders": reminder_preference_export(user=user),
        "ledger": [
            {
                "created_at": entry.created_at.isoformat(),
                "kind": entry.kind,
                "amount": entry.amount,
                "available_after": entry.available_after,
                "held_after": entry.held_after,
                "description": entry.description,
                # Not the staff's internal reason: the admin form promises it is never shown to the person.
                "screening_id": str(entry.screening_id) if entry.screening_id else None,
            }
            for entry in ledger
        ],
    }


def _screening_export(screening: Screening) -> dict[str, Any]:
    done = screening.status == Screening.Status.DONE
    return {
        "id": str(screening.id),
        "created_at": screening.created_at.isoformat(),
        "finished_at": screening.finished_at.isoformat() if screening.finished_at else None,
        "model": screening.model_key,
        "status": screening.status,
        "cost": screening.cost,
        "answers": screening.answers,
        "result": {
            "probability": screening.probability,
            "risk_band": screening.risk_band,
            "factors": screening.factors,
            "what_ifs": screening.what_ifs,
            "model_version": screening.model_version,
            "base_rate": screening.base_rate,
            "interval_low": screening.interval_low,
            "interval_high": screening.interval_high,
        }
        if done
        else None,
        "error_message": screening.error_message,
    }


def user_delete(*, user: User, password: str) -> AccountErasure:
    """Erase the account: profile, answers, results, wallet and ledger. Only anonymous totals remain.

    The password is asked again so a session left open on a shared computer cannot erase someone's history.
    Refresh tokens are blacklisted first; access tokens die with the user row (JWT authentication looks it up).
    """
    if not user.check_password(password):
        raise ValidationError({"password": [WRONG_PASSWORD]})
    with transaction.atomic():
        # Lock the wallet so a screening submitted at this instant cannot hold credits on a half-deleted account.
        Wallet.objects.select_for_update().filter(user=user).first()
        totals = _ledger_totals(user)
        erasure = AccountErasure.objects.create(
            erased_on=timezone.now().date(),
            screenings=screening_list(user=user).count(),
            credits_granted=totals["granted"],
            credits_spent=totals["spent"],
            credits_forfeited=sum(wallet_balance(user=user).values()),
        )
        for token in OutstandingToken.objects.filter(user=user):
            BlacklistedToken.objects.get_or_create(token=token)
        _forget_in_admin_log(user)
        # Cascades to screenings, symptom checks, share links and their openings, wallet and ledger entries;
        # outstanding tokens keep no user (SET_NULL).
        user.delete()
    return erasure


def _ledger_totals(user: User) -> dict[str, int]:
    rows = dict(
        LedgerEntry.objects.filter(wallet__user=user)
        .order_by()
        .values("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    granted = rows.get(LedgerEntry.Kind.GRANT, 0) + rows.get(LedgerEntry.Kind.ADJUSTMENT, 0)
    return {"granted": granted, "spent": -rows.get(LedgerEntry.Kind.CAPTURE, 0)}


def _forget_in_admin_log(user: User) -> None:
    """Staff's admin history keeps that something was changed, not about whom."""
    screening_ids = [str(pk) for pk in screening_list(user=user).values_list("id", flat=True)]
    user_type = ContentType.objects.get_for_model(User)
    screening_type = ContentType.objects.get_for_model(Screening)
    LogEntry.objects.filter(
        Q(content_type=user_type, object_id=str(user.pk)) | Q(content_type=screening_type, object_id__in=screening_ids)
    ).update(object_id=None, object_repr="erased account", change_message="")
