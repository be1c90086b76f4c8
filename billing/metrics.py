from prometheus_client import Counter

CREDITS = Counter("mhc_credits_total", "Credits moved, by ledger entry kind", ["kind"])
