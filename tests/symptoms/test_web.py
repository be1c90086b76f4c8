import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import LedgerEntry
from privacy.services import user_delete
from symptoms.instruments import PHQ9
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.factories import ScreeningFactory
from tests.symptoms.conftest import answers_totalling

pytestmark = pytest.mark.django_db


def post_form(client, instrument, answers, **extra):
    return client.post(reverse("symptoms:new", args=[instrument]), {**answers, **extra})


def done_screening(owner, band="low", probability=0.04):
    return ScreeningFactory(
        owner=owner, status="done", probability=probability, risk_band=band, base_rate=0.087,
        model_version="v-test", finished_at=timezone.now(),
    )  # fmt: skip


def test_the_form_shows_every_item_verbatim_with_the_recall_period(client, member):
    client.force_login(member)
    html = client.get(reverse("symptoms:new", args=["phq9"])).content.decode()
    assert "Over the last 2 weeks, how often have you been bothered by any of the following problems?" in html
    for item in PHQ9.items:
        assert f"{item.number}. {item.text}" in html
    assert html.count('type="radio"') == 10 * 4


def test_a_person_without_credits_answers_and_sees_the_score(client, broke_member, phq9_answers):
    client.force_login(broke_member)
    entries = LedgerEntry.objects.count()
    response = post_form(client, "phq9", phq9_answers, submission_key="one")
    check = SymptomCheck.objects.get(owner=broke_member)
    assert response.status_code == 302
    assert response["Location"] == reverse("symptoms:detail", args=[check.id])
    html = client.get(response["Location"]).content.decode()
    assert '<span class="big-number">9</span> <span>of 27</span>' in html
    assert 'class="band-word">Mild</strong>' in html
    assert 'id="safety"' not in html
    assert LedgerEntry.objects.count() == entries


def test_a_double_submit_stores_one_check(client, member, phq9_answers):
    client.force_login(member)
    post_form(client, "phq9", phq9_answers, submission_key="same")
    again = post_form(client, "phq9", phq9_answers, submission_key="same")
    assert SymptomCheck.objects.count() == 1
    assert "already sent these answers" in client.get(again["Location"]).content.decode()


def test_a_missing_item_is_shown_beside_it_and_the_other_answers_are_kept(client, member, phq9_answers):
    client.force_login(member)
    del phq9_answers["phq9_3"]
    response = post_form(client, "phq9", phq9_answers)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please check 1 answer</h2>" in html
    assert re.search(r'id="q-phq9_3".*?Please answer question 3\.', html, re.S)
    assert 'name="phq9_1" value="3" id="id_phq9_1_3" checked' in html
    assert SymptomCheck.objects.count() == 0


def test_item_9_above_0_shows_the_crisis_resources_before_the_score(client, member):
    client.force_login(member)
    answers = {item.key: 0 for item in PHQ9.items} | {"phq9_9": 1}
    response = post_form(client, "phq9", answers)
    html = client.get(response["Location"]).content.decode()
    assert html.index('id="safety"') < html.index('id="help"') < html.index('id="score"')
    assert 'href="tel:988"' in html
    assert 'href="sms:988"' in html
    assert 'href="sms:741741?body=HOME"' in html
    assert '<span class="big-number">1</span>' in html


def test_only_the_owner_sees_a_check_and_its_fhir_download(client, member, outsider, phq9_answers):
    check = symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers).check
    client.force_login(outsider)
    assert client.get(reverse("symptoms:detail", args=[check.id])).status_code == 404
    assert client.get(reverse("symptoms:fhir", args=[check.id])).status_code == 404
    client.force_login(member)
    download = client.get(reverse("symptoms:fhir", args=[check.id]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="phq9-')
    assert json.loads(download.content)["id"] == str(check.id)
    bundle = json.loads(client.get(reverse("symptoms:fhir-all")).content)
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(check.id)]


def test_the_risk_result_invites_the_phq9(client, member):
    screening = done_screening(member)
    client.force_login(member)
    html = client.get(reverse("screening:detail", args=[screening.id])).content.decode()
    assert "This estimate comes from life factors. To check how you have actually been feeling, answer" in html
    assert "9 questions: about 2 minutes, free." in html
    assert f'href="{reverse("symptoms:new", args=["phq9"])}"' in html


def test_a_phq9_of_10_or_more_beside_a_low_estimate_says_the_symptoms_count(client, member):
    symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 12))
    low = done_screening(member, band="low")
    high = done_screening(member, band="high", probability=0.4)
    client.force_login(member)
    low_html = client.get(reverse("screening:detail", args=[low.id])).content.decode()
    high_html = client.get(reverse("screening:detail", args=[high.id])).content.decode()
    assert "Your symptoms count more than this estimate" in low_html
    assert "scored <strong>12</strong>" in low_html
    assert "Your symptoms count more than this estimate" not in high_html


def test_the_history_chart_has_a_series_per_instrument_and_band_lines(client, member, phq9_answers, gad7_answers):
    symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers)
    symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 14))
    symptom_check_submit(user=member, instrument_key="gad7", answers=gad7_answers)
    client.force_login(member)
    html = client.get(reverse("screening:history")).content.decode()
    assert '<g class="series series-phq9">' in html
    assert '<g class="series series-gad7">' in html
    phq_group = html.split('<g class="series series-phq9">')[1].split("</g>")[0]
    gad_group = html.split('<g class="series series-gad7">')[1].split("</g>")[0]
    assert phq_group.count("<polyline") == 1
    assert phq_group.count("<circle") == 2
    assert "<polyline" not in gad_group
    assert gad_group.count("<rect") == 1
    assert html.count('class="cutoff"') == 4  # 5, 10, 15, 20
    assert "2 PHQ-9 checks, latest 14 of 27 (moderate); 1 GAD-7 check, latest 12 of 21 (moderate)." in html


def test_estimates_of_different_models_are_not_joined_in_the_chart(client, member):
    for model in ("ensemble", "forest", "ensemble"):
        ScreeningFactory(
            owner=member, model_key=model, status="done", probability=0.1, risk_band="moderate", base_rate=0.087,
            model_version="v-test", finished_at=timezone.now(), cost=1,
        )  # fmt: skip
    client.force_login(member)
    html = client.get(reverse("screening:history")).content.decode()
    assert html.count('<polyline class="trend"') == 1  # the two ensemble points only


def test_the_clinician_summary_has_items_totals_bands_trend_and_the_latest_estimate(
    client, member, phq9_answers, gad7_answers
):
    symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 14))
    symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers)
    symptom_check_submit(user=member, instrument_key="gad7", answers=gad7_answers)
    done_screening(member, band="moderate", probability=0.12)
    client.force_login(member)
    html = client.get(reverse("screening:summary")).content.decode()
    assert "total <strong>9 of 27</strong>" in html
    assert "total <strong>12 of 21</strong>" in html
    assert "1. Little interest or pleasure in doing things</td><td>Nearly every day</td>" in html
    assert "Difficulty these problems caused: <strong>Somewhat difficult</strong>" in html
    # The PHQ-9's trend is its item table, oldest first; the GAD-7's a line.
    assert re.search(r'class="item-trend".*?<strong>14</strong>.*?<strong>9</strong>.*?No reliable change', html, re.S)
    assert "<strong>12%</strong>" in html
    assert "model version v-test" in html
    assert "not a diagnosis" in html


def test_the_export_holds_the_symptom_checks_and_deletion_removes_them(
    member_api, member, outsider, phq9_answers, password
):
    mine = symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers).check
    theirs = symptom_check_submit(user=outsider, instrument_key="phq9", answers=phq9_answers).check

    exported = json.loads(member_api.get(reverse("api-me-export")).content)["symptom_checks"]
    assert exported == [
        {
            "id": str(mine.id),
            "created_at": mine.created_at.isoformat(),
            "instrument": "phq9",
            "answers": {**phq9_answers},
            "total": 9,
            "band": "mild",
            "safety_flag": False,
        }
    ]

    user_delete(user=member, password=password)
    assert list(SymptomCheck.objects.values_list("id", flat=True)) == [theirs.id]


def test_the_symptoms_page_lists_the_persons_checks_newest_first(client, member, outsider, phq9_answers, gad7_answers):
    symptom_check_submit(user=member, instrument_key="phq9", answers=phq9_answers)
    symptom_check_submit(user=member, instrument_key="gad7", answers=gad7_answers)
    symptom_check_submit(user=outsider, instrument_key="phq9", answers=answers_totalling(PHQ9, 27))
    client.force_login(member)
    html = client.get(reverse("symptoms:index")).content.decode()
    rows = re.findall(r"<td>(PHQ-9|GAD-7)</td><td class=\"num\">(\d+) of (\d+)</td><td>(\w+)</td>", html)
    assert rows == [("GAD-7", "12", "21", "Moderate"), ("PHQ-9", "9", "27", "Mild")]
    assert "Last time" in html
