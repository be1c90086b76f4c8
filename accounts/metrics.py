"""Account e-mails. Labels are the kind of e-mail and its outcome: never a person or an address."""

from prometheus_client import Counter

EMAILS = Counter(
    "mhc_account_emails_total",
    "Account e-mails (password reset, welcome, sign-up with a taken address), by kind and outcome",
    ["kind", "outcome"],
)

for _kind in ("password_reset", "welcome", "signup_existing"):
    for _outcome in ("sent", "retried", "failed"):
        EMAILS.labels(kind=_kind, outcome=_outcome)
