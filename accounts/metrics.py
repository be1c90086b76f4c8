"""Account e-mails. Labels are the kind of e-mail and its outcome: never a person or an address."""

from prometheus_client import Counter

EMAILS = Counter(
    "mhc_account_emails_total", "Account e-mails (password reset), by kind and outcome", ["kind", "outcome"]
)

for _outcome in ("sent", "retried", "failed"):
    EMAILS.labels(kind="password_reset", outcome=_outcome)
