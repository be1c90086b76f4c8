"""Scoring against the published PHQ-9 and GAD-7 scoring: sum of item values, bands by range, every band edge."""

import pytest

from symptoms.exceptions import SymptomAnswersInvalid
from symptoms.instruments import GAD7, INSTRUMENTS, PHQ9, instrument_schema, score, validate_answers
from tests.symptoms.conftest import answers_totalling

PHQ9_EDGES = [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe"),
]  # fmt: skip
GAD7_EDGES = [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "severe"), (21, "severe"),
]  # fmt: skip


@pytest.mark.parametrize(("total", "band"), PHQ9_EDGES)
def test_a_phq9_total_falls_in_its_published_band(total, band):
    result = score(PHQ9, validate_answers(PHQ9, answers_totalling(PHQ9, total)))
    assert (result.total, result.band.key) == (total, band)


@pytest.mark.parametrize(("total", "band"), GAD7_EDGES)
def test_a_gad7_total_falls_in_its_published_band(total, band):
    result = score(GAD7, validate_answers(GAD7, answers_totalling(GAD7, total)))
    assert (result.total, result.band.key) == (total, band)


def test_the_bands_cover_every_total_once_and_nothing_more():
    for instrument in INSTRUMENTS.values():
        covered = [t for band in instrument.bands for t in range(band.low, band.high + 1)]
        assert covered == list(range(instrument.max_total + 1))
    assert (PHQ9.max_total, GAD7.max_total) == (27, 21)


def test_a_missing_item_is_refused_with_an_error_naming_it(phq9_answers):
    del phq9_answers["phq9_4"]
    with pytest.raises(SymptomAnswersInvalid) as raised:
        validate_answers(PHQ9, phq9_answers)
    assert raised.value.errors == {"phq9_4": ["Please answer question 4."]}


def test_out_of_range_unknown_and_boolean_answers_are_refused_item_by_item(phq9_answers):
    bad = {**phq9_answers, "phq9_1": 4, "phq9_2": True, "phq9_3": "often", "phq9_10": 1}
    with pytest.raises(SymptomAnswersInvalid) as raised:
        validate_answers(PHQ9, bad)
    assert set(raised.value.errors) == {"phq9_1", "phq9_2", "phq9_3", "phq9_10"}
    assert raised.value.errors["phq9_1"][0].startswith("Question 1: choose one of 0 (not at all), 1 (several days)")


def test_the_difficulty_question_is_optional_and_never_scored(phq9_answers):
    without = {k: v for k, v in phq9_answers.items() if k != "phq9_difficulty"}
    cleaned = validate_answers(PHQ9, without)
    assert cleaned["phq9_difficulty"] is None
    assert score(PHQ9, cleaned).total == score(PHQ9, validate_answers(PHQ9, {**without, "phq9_difficulty": 3})).total


def test_form_values_arrive_as_strings_and_are_read_as_numbers(phq9_answers):
    as_text = {key: str(value) for key, value in phq9_answers.items()}
    assert validate_answers(PHQ9, as_text) == validate_answers(PHQ9, phq9_answers)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_answer_above_0_on_item_9_raises_the_safety_flag_whatever_the_total(item9):
    answers = {**{item.key: 0 for item in PHQ9.items}, "phq9_9": item9}
    result = score(PHQ9, validate_answers(PHQ9, answers))
    assert result.safety_flag is True
    assert result.band.key == "minimal"


def test_a_high_total_without_item_9_raises_no_safety_flag():
    result = score(PHQ9, validate_answers(PHQ9, answers_totalling(PHQ9, 24, phq9_9=0)))
    assert (result.total, result.safety_flag) == (24, False)
    assert score(GAD7, validate_answers(GAD7, answers_totalling(GAD7, 21))).safety_flag is False


def test_the_wording_is_the_published_text_with_its_loinc_codes():
    assert PHQ9.stem == "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    assert [o.label for o in PHQ9.options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert PHQ9.items[8].text == "Thoughts that you would be better off dead or of hurting yourself in some way"
    assert [i.loinc for i in PHQ9.items] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8",
    ]  # fmt: skip
    assert [i.loinc for i in GAD7.items] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
    ]  # fmt: skip
    assert (PHQ9.loinc, PHQ9.total_loinc, GAD7.loinc, GAD7.total_loinc) == ("44249-1", "44261-6", "69737-5", "70274-6")


def test_the_api_description_is_built_from_the_same_definition():
    described = instrument_schema(PHQ9)
    assert [i["key"] for i in described["items"]] == [i.key for i in PHQ9.items]
    assert described["bands"][3] == {"key": "moderately_severe", "label": "Moderately severe", "min": 15, "max": 19}
    assert described["difficulty"]["required"] is False
