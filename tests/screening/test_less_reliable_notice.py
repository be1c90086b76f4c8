"""The "less reliable for people like you" notice on a result (issue 25): shown to a person in a group where the
model that scored them was clearly weaker on the model card, with the card's figure one click away; not to others."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from predictor import registry
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db
VERSION = "vweaker"
POOR = {"age": 30, "sex": "female", "annual_household_income": 9000, "household_size": 3}
WELL_OFF = {"age": 30, "sex": "female", "annual_household_income": 150000, "household_size": 2}


@pytest.fixture
def weaker_version(settings, tmp_path):
    """A version directory whose manifest flags people below the poverty line as a weaker group of the ensemble."""
    (tmp_path / VERSION).mkdir()
    groups = {"ensemble": [{"label": "income: below poverty line", "roc_auc": 0.752, "overall": 0.831}]}
    manifest = {"version": VERSION, "current_period": {"less_reliable": {"rule": "r", "groups": groups}}}
    (tmp_path / VERSION / "manifest.json").write_text(json.dumps(manifest))
    settings.ML_ARTIFACTS_DIR = tmp_path
    settings.PREDICTOR_ACTIVE_VERSION = VERSION
    registry.clear_cache()
    yield
    registry.clear_cache()


def _result(client, member, answers, *, language="en", version=VERSION, low=0.15, high=0.26):
    screening = ScreeningFactory(
        owner=member, status="done", model_key="ensemble", answers={**answers}, probability=0.2,
        risk_band="moderate", base_rate=0.131, model_version=version, finished_at=timezone.now(),
        interval_low=low, interval_high=high,
    )  # fmt: skip
    client.force_login(member)
    with override(language):
        return " ".join(
            client.get(reverse("screening:detail", args=[screening.id]), HTTP_ACCEPT_LANGUAGE=language)
            .content.decode()
            .split()
        )


def test_a_person_in_a_weaker_group_is_told_so_with_the_cards_figure_one_click_away(weaker_version, client, member):
    html = _result(client, member, POOR)

    assert "Less reliable for people like you" in html
    assert "household income is below the poverty line" in html
    assert "75 times in 100 for them, against 83 in 100 for everyone" in html
    assert reverse("predictor:model-card") + "#less-reliable" in html


def test_a_person_in_no_weaker_group_sees_no_notice(weaker_version, client, member):
    html = _result(client, member, WELL_OFF)

    assert "Less reliable for people like you" not in html
    assert "#less-reliable" not in html


def test_a_result_of_a_version_without_the_table_shows_no_notice(client, member):
    # v2026.12.01.2 (shipped in ml_artifacts) was trained before the rule existed.
    html = _result(client, member, POOR, version="v2026.12.01.2")

    assert "#less-reliable" not in html


@pytest.mark.parametrize(
    ("language", "heading", "figures"),
    [
        ("es", "Menos fiable para personas como usted", "75 veces de cada 100"),
        ("ru", "Менее надёжно для таких людей, как вы", "75 раз из 100"),
    ],
)
def test_the_notice_is_in_the_readers_language(weaker_version, client, member, language, heading, figures):
    html = _result(client, member, POOR, language=language)

    assert heading in html
    assert figures in html
    assert reverse("predictor:model-card") + "#less-reliable" in html


def test_a_wide_range_says_why_and_a_narrow_one_does_not(weaker_version, client, member):
    wide = _result(client, member, WELL_OFF, low=0.10, high=0.40)
    narrow = _result(client, member, WELL_OFF, low=0.15, high=0.26)

    assert "The range around your estimate is wide because" in wide
    assert "The range around your estimate is wide because" not in narrow


def test_a_result_scored_by_a_pattern_submodel_says_it_reads_only_the_answers_given(client, member):
    from predictor.services import loaded_model_version, validate_answers
    from tests.predictor.conftest import FULL_ANSWERS

    version = loaded_model_version()  # the shipped version, with its pattern submodels
    skipped = dict.fromkeys(("employment", "diet_quality", "sleep_trouble_told_doctor", "general_health"))
    newest_cycle = validate_answers({**FULL_ANSWERS, **skipped, "mental_health_visit": None})
    only_sleep = validate_answers({**FULL_ANSWERS, "sleep_hours": None})

    note = "this estimate comes from a version of the model trained without them"
    assert note in _result(client, member, newest_cycle, version=version)
    assert note not in _result(client, member, only_sleep, version=version)
