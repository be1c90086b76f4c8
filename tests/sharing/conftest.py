from datetime import timedelta

import pytest
from django.utils import timezone

from sharing.services import share_link_create
from symptoms.instruments import GAD7, PHQ9
from symptoms.services import symptom_check_submit
from tests.factories import ScreeningFactory
from tests.symptoms.conftest import answers_totalling

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


@pytest.fixture
def history(member):
    """The member's PHQ-9 (moderate, item 9 above 0), GAD-7 and one finished life-factor estimate with a range."""
    phq9 = symptom_check_submit(
        user=member,
        instrument_key=PHQ9.key,
        answers={**answers_totalling(PHQ9, 12, phq9_9=1), "phq9_difficulty": 1},
    ).check
    gad7 = symptom_check_submit(user=member, instrument_key=GAD7.key, answers=answers_totalling(GAD7, 6)).check
    estimate = ScreeningFactory(
        owner=member,
        status="done",
        probability=0.23,
        risk_band="high",
        base_rate=0.087,
        model_version="v-test",
        interval_low=0.15,
        interval_high=0.31,
        finished_at=timezone.now(),
        factors=[],
    )
    return {"phq9": phq9, "gad7": gad7, "estimate": estimate}


@pytest.fixture
def shared(member, history):
    """A live link to the member's checks and estimates, with its one-time token."""
    return share_link_create(user=member, contents="checks_and_estimates", days=14, language="en")


def expire(link) -> None:
    """Move a link's life into the past: made 15 days ago, expired a second ago."""
    now = timezone.now()
    type(link).objects.filter(id=link.id).update(
        created_at=now - timedelta(days=15), expires_at=now - timedelta(seconds=1)
    )
