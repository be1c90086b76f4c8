"""Symptom-check metrics. Labels are instrument keys only: never a user, an answer, a total or a band."""

from prometheus_client import Counter

from symptoms.instruments import INSTRUMENTS

SUBMITTED = Counter("mhc_symptom_checks_total", "Symptom self-checks scored", ["instrument"])
# Checks taken without an account: scored and shown, never stored (a kept one is counted again by SUBMITTED).
SCORED_WITHOUT_ACCOUNT = Counter(
    "mhc_symptom_checks_without_account_total",
    "Symptom self-checks scored for a visitor without an account",
    ["instrument"],
)
# How often the safety path (crisis resources before the score) opens. Deliberately without any label.
SAFETY_PATH = Counter("mhc_symptom_safety_path_total", "Symptom checks that opened the safety path")
# Checks refused past a person's volume limit (symptoms.limits), by limit ("day" or "burst").
REFUSED_OVER_LIMIT = Counter(
    "mhc_symptom_checks_refused_over_limit_total", "Symptom checks refused past a volume limit", ["limit"]
)

for _key in INSTRUMENTS:
    SUBMITTED.labels(instrument=_key)
    SCORED_WITHOUT_ACCOUNT.labels(instrument=_key)
for _limit in ("day", "burst"):
    REFUSED_OVER_LIMIT.labels(limit=_limit)
