"""The privacy notice says what the service metrics count from people's checks, and nothing counts more.

Each metric family that counts something from a person's answers or results is named here with the words of the
privacy notice that tell people about it. A new such metric fails this test until the notice (and this table)
says what it counts, so what the site tells people stays exactly true.
"""

import pytest
from django.urls import reverse
from prometheus_client.metrics import MetricWrapperBase

from screening import metrics as screening_metrics
from symptoms import metrics as symptom_metrics

# metric family -> the words of the privacy notice that describe it
TOLD = {
    "mhc_screenings_submitted": "how many checks were made",
    "mhc_symptom_checks": "how many checks were made",
    "mhc_symptom_checks_without_account": "our service statistics count the check only in totals",
    "mhc_screenings_completed": "how many gave each result level",
    "mhc_screening_estimate": "each range of estimates",
    "mhc_symptom_safety_path": "how many self-checks led us to show where to get help right away",
    "mhc_answer_missing": "which questions were skipped",
    "mhc_answer_age_years": "how ages, sleep hours and household sizes spread across ranges",
    "mhc_answer_sleep_hours": "how ages, sleep hours and household sizes spread across ranges",
    "mhc_answer_household_size": "how ages, sleep hours and household sizes spread across ranges",
}
# Counted from a screening's life, not from what anyone answered or was told.
OPERATIONAL = {
    "mhc_screenings_failed",
    "mhc_screenings_requeued",
    "mhc_inference_seconds",
    "mhc_screening_queue_wait_seconds",
    "mhc_screening_end_to_end_seconds",
    "mhc_symptom_checks_refused_over_limit",  # refusals past a volume limit, by limit: nothing anyone answered
}


def families(module) -> set[str]:
    """The metric families a module defines (a counter's without its _total)."""
    return {
        family.name
        for value in vars(module).values()
        if isinstance(value, MetricWrapperBase)
        for family in value.describe()
    }


@pytest.mark.django_db
def test_every_metric_counting_answers_or_results_is_told_in_the_privacy_notice(client):
    counted = families(screening_metrics) | families(symptom_metrics)
    assert counted, "no metric found: the lookup of registered names broke"
    assert counted - OPERATIONAL == set(TOLD), "a metric counts something the privacy notice does not mention"

    notice = " ".join(client.get(reverse("privacy")).content.decode().split())
    for words in set(TOLD.values()):
        assert words in notice
    assert "These totals never say whose a check was." in notice
    assert "logs or metrics" not in notice  # what it said before, which the band label and the buckets made untrue


@pytest.mark.django_db
def test_the_home_page_says_metrics_hold_totals_only(client):
    home = " ".join(client.get(reverse("home")).content.decode().split())

    assert "never written to our logs; our service statistics count checks only in totals" in home
    assert "logs or metrics" not in home
