"""Credit flow. The only label is the ledger entry kind: never a user or an amount per person."""

from prometheus_client import Counter

from billing.models import LedgerEntry

CREDITS = Counter("mhc_credits_total", "Credits moved, by ledger entry kind", ["kind"])

# Every kind exists from the start (0 until it moves), so the credit-flow panel shows releases even on a calm day.
for _kind in LedgerEntry.Kind.values:
    CREDITS.labels(kind=_kind)
