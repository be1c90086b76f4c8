from django.conf import settings
from django.db import models
from django.db.models import Q
from django_prometheus.models import ExportModelOperationsMixin


class Wallet(ExportModelOperationsMixin("wallet"), models.Model):
    """A person's credits. `available` can be spent; `held` is set aside for screenings in progress."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet")
    available = models.IntegerField(default=0)
    held = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(available__gte=0), name="billing_wallet_available_not_negative"),
            models.CheckConstraint(condition=Q(held__gte=0), name="billing_wallet_held_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.available} available, {self.held} held"


class LedgerEntry(ExportModelOperationsMixin("ledger_entry"), models.Model):
    """One change to a wallet, never edited or deleted.

    `amount` is signed. For grant, adjustment, hold and release it is the change in `available` (a hold of 7 is -7,
    its release +7); a hold moves the same credits into `held`, a release moves them back. A capture spends held
    credits: its amount (-7) is the change in `held` and leaves the wallet for good. So the wallet's total
    (available + held) changes by `amount` for grant, allowance, adjustment and capture, and not at all for hold
    and release.
    """

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        ALLOWANCE = "allowance", "Monthly allowance"
        ADJUSTMENT = "adjustment", "Adjustment"
        HOLD = "hold", "Hold"
        CAPTURE = "capture", "Capture"
        RELEASE = "release", "Release"

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.IntegerField()
    available_after = models.IntegerField()
    held_after = models.IntegerField()
    screening = models.ForeignKey(
        "screening.Screening", null=True, blank=True, on_delete=models.SET_NULL, related_name="ledger_entries"
    )
    description = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who granted or adjusted credits.",
    )
    reason = models.TextField(blank=True, help_text="Staff only: why credits were granted or adjusted.")
    period = models.CharField(
        max_length=7, blank=True, default="", help_text="For a monthly allowance, the month it is for (YYYY-MM)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The ledger page and API: one wallet's entries, newest first.
            models.Index(fields=["wallet", "-created_at", "-id"], name="billing_ledger_wallet_recent"),
        ]
        constraints = [
            # A screening is held, captured and released at most once each: the database backs the
            # idempotency of wallet_hold / wallet_capture / wallet_release.
            models.UniqueConstraint(
                fields=["screening", "kind"],
                condition=Q(screening__isnull=False),
                name="billing_ledger_one_kind_per_screening",
            ),
            # The monthly allowance is granted once per wallet per month, however many beat processes or
            # retries try: the database refuses the second one (billing.services.allowance_grant_month).
            models.UniqueConstraint(
                fields=["wallet", "period"],
                condition=Q(kind="allowance"),
                name="billing_ledger_one_allowance_per_month",
            ),
            models.CheckConstraint(
                condition=Q(kind="allowance") & ~Q(period="") | ~Q(kind="allowance") & Q(period=""),
                name="billing_ledger_period_only_for_allowance",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["grant", "allowance"], amount__gt=0)
                    | Q(kind="adjustment") & ~Q(amount=0)
                    | Q(kind__in=["hold", "capture"], amount__lt=0)
                    | Q(kind="release", amount__gt=0)
                ),
                name="billing_ledger_amount_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(available_after__gte=0, held_after__gte=0),
                name="billing_ledger_balances_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Ledger entries are append-only; add a new entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only and cannot be deleted.")

    @property
    def change_for_person(self) -> int:
        """What the credits page shows: a check's charge on its capture, 0 on a return, a pending hold as set
        aside, every other entry as its amount."""
        return 0 if self.kind == self.Kind.RELEASE else self.amount

    @property
    def total_change(self) -> int:
        """Change in available + held: what the person gained or spent."""
        return 0 if self.kind in (self.Kind.HOLD, self.Kind.RELEASE) else self.amount
