"""Screening metrics. Labels are model keys, bands and outcomes only: never a user, an answer or a probability."""

from prometheus_client import Counter, Histogram

from predictor.services import RISK_BANDS, model_keys

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
FAILURE_REASONS = ("scoring_error", "timeout", "stuck")

SUBMITTED = Counter("mhc_screenings_submitted_total", "Screenings accepted for scoring", ["model"])
COMPLETED = Counter("mhc_screenings_completed_total", "Screenings scored", ["model", "band"])
FAILED = Counter("mhc_screenings_failed_total", "Screenings that failed", ["model", "reason"])
REQUEUED = Counter("mhc_screenings_requeued_total", "Stuck screenings queued again", ["model"])
INFERENCE_SECONDS = Histogram(
    "mhc_inference_seconds", "Model scoring time incl. explanation", ["model"], buckets=LATENCY_BUCKETS
)
QUEUE_WAIT_SECONDS = Histogram(
    "mhc_screening_queue_wait_seconds", "Submitted to started", ["model"], buckets=LATENCY_BUCKETS
)
END_TO_END_SECONDS = Histogram(
    "mhc_screening_end_to_end_seconds", "Submitted to done", ["model"], buckets=LATENCY_BUCKETS
)
# Calibration watch: the estimates given, in buckets, to compare their mean (sum / count over a window) and the
# share of results per band (COMPLETED) with the prevalence the models are calibrated to (mhc_model_base_rate).
ESTIMATE = Histogram(
    "mhc_screening_estimate",
    "Estimated probability of a positive screen, per completed screening",
    ["model"],
    buckets=(0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0),
)
# Drift watch: how the population answering changes. Buckets only; no per-person value leaves the process.
ANSWER_AGE = Histogram(
    "mhc_answer_age_years", "Age given in submitted screenings", buckets=(18, 25, 35, 45, 55, 65, 75, 120)
)
ANSWER_SLEEP_HOURS = Histogram(
    "mhc_answer_sleep_hours", "Usual sleep hours given", buckets=(4, 5, 6, 7, 8, 9, 10, 12, 24)
)
ANSWER_HOUSEHOLD_SIZE = Histogram(
    "mhc_answer_household_size", "Household size given", buckets=(1, 2, 3, 4, 5, 6, 8, 20)
)
ANSWER_MISSING = Counter("mhc_answer_missing_total", "Optional questions left unanswered", ["question"])

# Every known label combination exists from the start, so a dashboard shows 0 failures rather than "no data".
for _model in model_keys():
    SUBMITTED.labels(model=_model)
    REQUEUED.labels(model=_model)
    ESTIMATE.labels(model=_model)
    for _band, _label in RISK_BANDS:
        COMPLETED.labels(model=_model, band=_band)
    for _reason in FAILURE_REASONS:
        FAILED.labels(model=_model, reason=_reason)


def observe_answers(answers: dict) -> None:
    for histogram, key in (
        (ANSWER_AGE, "age"),
        (ANSWER_SLEEP_HOURS, "sleep_hours"),
        (ANSWER_HOUSEHOLD_SIZE, "household_size"),
    ):
        value = answers.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            histogram.observe(value)
    for key, value in answers.items():
        if value is None:
            ANSWER_MISSING.labels(question=key).inc()


def observe_done(screening) -> None:
    COMPLETED.labels(model=screening.model_key, band=screening.risk_band).inc()
    if screening.probability is not None:  # a done screening has one (a database constraint)
        ESTIMATE.labels(model=screening.model_key).observe(screening.probability)
    if screening.finished_at is not None:
        END_TO_END_SECONDS.labels(model=screening.model_key).observe(
            (screening.finished_at - screening.created_at).total_seconds()
        )
