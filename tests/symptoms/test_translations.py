"""The PHQ-9 and GAD-7 in their published Spanish and Russian versions, served in the request's language; the English
original, with a note, where no checked version is held; the same score whatever the language."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from symptoms.fhir import questionnaire_response
from symptoms.instruments import GAD7, INSTRUMENTS, PHQ9
from symptoms.services import symptom_check_submit
from tests.symptoms.conftest import answers_totalling

pytestmark = pytest.mark.django_db

# (instrument, language) pairs with a published version held, and the one that falls back to the English original.
PUBLISHED = [(PHQ9, "es"), (PHQ9, "ru"), (GAD7, "es")]
FALLBACK = [(GAD7, "ru")]


def get_in(client, url, language):
    # The active language during the request: overridden here, and sent as a browser would.
    with translation.override(language):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(("instrument", "language"), PUBLISHED)
def test_the_form_shows_every_item_and_answer_of_the_published_version(client, member, instrument, language):
    client.force_login(member)
    published = instrument.translation(language)

    html = get_in(client, reverse("symptoms:new", args=[instrument.key]), language).content.decode()

    assert escape(published.stem) in html
    for number, text in enumerate(published.items, start=1):
        assert f"{number}. {escape(text)}" in html
    for label in (*published.options, *published.difficulty_options):
        assert f">{escape(label)}</label>" in html
    if published.difficulty:
        assert escape(published.difficulty) in html
    assert f'lang="{published.tag}"' in html
    assert "original English wording" not in html
    # Not one English item is left beside them.
    assert not any(escape(item.text) in html for item in instrument.items)


@pytest.mark.parametrize(("instrument", "language"), FALLBACK)
def test_without_a_checked_version_the_english_original_is_shown_with_a_note(client, member, instrument, language):
    client.force_login(member)

    html = get_in(client, reverse("symptoms:new", args=[instrument.key]), language).content.decode()

    assert instrument.translation(language) is None
    assert escape(instrument.stem) in html
    for item in instrument.items:
        assert f"{item.number}. {escape(item.text)}" in html
    assert 'role="note"' in html
    assert 'lang="en-US"' in html


@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_the_score_is_the_same_whatever_the_language(member, language):
    phq9 = answers_totalling(PHQ9, 13, phq9_9=1)
    gad7 = answers_totalling(GAD7, 10)

    with translation.override(language):
        checks = [
            symptom_check_submit(user=member, instrument_key=key, answers=answers).check
            for key, answers in (("phq9", {**phq9, "phq9_difficulty": 2}), ("gad7", gad7))
        ]

    assert [(c.total, c.band, c.safety_flag) for c in checks] == [(14, "moderate", True), (10, "moderate", False)]
    assert checks[0].answers == {**phq9, "phq9_difficulty": 2}


def test_a_result_lists_the_answers_in_the_published_version(client, member):
    check = symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 9)).check
    client.force_login(member)
    russian = PHQ9.translation("ru")

    html = get_in(client, reverse("symptoms:detail", args=[check.id]), "ru").content.decode()

    assert f"1. {escape(russian.items[0])}</td><td>{russian.options[3]}</td>" in html
    assert f"9. {escape(russian.items[8])}</td><td>{russian.options[0]}</td>" in html


@pytest.mark.parametrize(("language", "phq9_tag", "gad7_tag", "gad7_fallback"), [
    ("en", "en-US", "en-US", False), ("es", "es-US", "es-US", False), ("ru", "ru-RU", "en-US", True),
])  # fmt: skip
def test_the_api_describes_the_instruments_in_the_requested_language(
    api_client, language, phq9_tag, gad7_tag, gad7_fallback
):
    with translation.override(language):
        body = api_client.get(reverse("api-instrument-list"), HTTP_ACCEPT_LANGUAGE=language).json()

    phq9, gad7 = body
    assert (phq9["language"], phq9["fallback"]) == (phq9_tag, False)
    assert (gad7["language"], gad7["fallback"]) == (gad7_tag, gad7_fallback)
    shown = PHQ9.localized(language)
    assert [i["text"] for i in phq9["items"]] == [i.text for i in shown.items]
    assert [o["label"] for o in phq9["difficulty"]["options"]] == [o.label for o in shown.difficulty_options]
    # Keys, values and codes stay the same in every language.
    assert [(i["key"], i["loinc"]) for i in phq9["items"]] == [(i.key, i.loinc) for i in PHQ9.items]
    assert [(o["value"], o["loinc"]) for o in phq9["options"]] == [(o.value, o.loinc) for o in PHQ9.options]


@pytest.mark.parametrize(("language", "tag"), [("es", "es-US"), ("ru", "ru-RU")])
def test_the_fhir_response_carries_the_wording_and_language_of_the_version_shown(member, language, tag):
    answers = {**answers_totalling(PHQ9, 9), "phq9_difficulty": 1}
    check = symptom_check_submit(user=member, instrument_key="phq9", answers=answers).check
    published = PHQ9.translation(language)

    resource = questionnaire_response(check, language)

    assert resource["language"] == tag
    assert [item["text"] for item in resource["item"][:9]] == list(published.items)
    assert resource["item"][9]["text"] == published.difficulty
    # The codes' displays are LOINC's own, in English, whatever the language of the texts.
    assert resource["item"][0]["answer"][0]["valueCoding"] == {
        "system": "http://loinc.org", "code": "LA6571-9", "display": "Nearly every day",
    }  # fmt: skip
    assert resource["meta"]["tag"][0]["display"] == "Patient Health Questionnaire (PHQ-9)"


def test_a_gad7_in_russian_is_recorded_in_fhir_as_the_english_original_it_was_shown_in(member):
    check = symptom_check_submit(user=member, instrument_key="gad7", answers=answers_totalling(GAD7, 6)).check

    resource = questionnaire_response(check, "ru")

    assert resource["language"] == "en-US"
    assert resource["item"][0]["text"] == GAD7.items[0].text


def test_every_published_version_is_complete_and_named():
    for instrument in INSTRUMENTS.values():
        for published in instrument.translations:
            assert len(published.items) == len(instrument.items)
            assert len(published.options) == len(instrument.options)
            assert len(published.difficulty_options) == len(instrument.difficulty_options)
            assert bool(published.difficulty) == bool(instrument.difficulty)
            assert published.version
            assert published.tag.startswith(published.language + "-")
            assert not set(published.items) & {item.text for item in instrument.items}


def test_the_clinician_summary_lists_each_item_in_the_version_it_was_shown_in(client, member):
    symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 9))
    symptom_check_submit(user=member, instrument_key="gad7", answers=answers_totalling(GAD7, 6))
    client.force_login(member)

    html = get_in(client, reverse("screening:summary"), "ru").content.decode()

    for text in PHQ9.translation("ru").items:
        assert escape(text) in html
    for item in GAD7.items:  # no checked Russian GAD-7: the English original, with the note
        assert escape(item.text) in html
    assert html.count('role="note"') == 1


@pytest.mark.parametrize(
    ("language", "wording_tag", "source_tag"), [("es", "es-US", "es-US"), ("ru", "ru-RU", "en-US")]
)
def test_the_attribution_line_carries_its_own_language(client, member, language, wording_tag, source_tag):
    # The Russian form keeps the English attribution line (its own footer was found in one copy only): a screen
    # reader must read that line as English, not with Russian rules.
    client.force_login(member)
    localized = PHQ9.localized(language)

    html = get_in(client, reverse("symptoms:new", args=[PHQ9.key]), language).content.decode()

    assert localized.language == wording_tag
    assert localized.source_language == source_tag
    assert f'lang="{source_tag}" translate="no">{escape(localized.source)}</p>' in html
