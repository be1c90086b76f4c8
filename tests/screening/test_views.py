import re

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import LedgerEntry
from billing.selectors import wallet_balance
from core.models import HelpResource
from predictor.exceptions import ArtifactError
from predictor.schema import QUESTIONS, SECTIONS
from screening import services, views
from screening.models import Screening
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db

FACTORS = [
    {
        "key": "sleep_hours",
        "text": "Sleeping under 6 hours (5 hours) raised your estimate.",
        "direction": "raises",
        "contribution": 0.41,
    },
    {"key": "age", "text": "Being 61 years old lowered your estimate.", "direction": "lowers", "contribution": -0.2},
]


def finished(owner, *, probability=0.31, band="high", **kwargs):
    return ScreeningFactory(
        owner=owner,
        status="done",
        probability=probability,
        risk_band=band,
        base_rate=0.087,
        model_version="v-test",
        finished_at=timezone.now(),
        factors=FACTORS,
        **kwargs,
    )


def form_data(answers, model="logistic"):
    data = {"model": model}
    for key, value in answers.items():
        data[key] = value if isinstance(value, list) else str(value)
    return data


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.mark.parametrize("name", ["screening:new", "screening:history"])
def test_pages_ask_a_visitor_to_log_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_questionnaire_shows_every_question_in_its_section_with_models_and_balance(member_client):
    response = member_client.get(reverse("screening:new"))

    html = response.content.decode()
    assert response.status_code == 200
    for question in QUESTIONS:
        assert question.label.replace("'", "&#x27;") in html, question.key
        assert f'id="q-{question.key}"' in html
    assert html.count('<fieldset class="card section') == len(SECTIONS) + 1
    # Labels are tied to inputs and every model shows its cost.
    assert '<label for="id_age">' in html
    assert "10 credits" in html
    assert "7 credits" in html
    assert "Prefer not to say" in html


def test_a_mistake_is_shown_beside_its_question_and_everything_else_is_kept(member_client, member, answers):
    data = form_data({**answers, "age": "12"})

    response = member_client.post(reverse("screening:new"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["age"] == ["Enter a value from 18 to 120 years."]
    assert 'href="#q-age"' in html  # the error summary links to the question
    assert 'aria-invalid="true"' in html
    assert 'name="age" value="12"' in html
    assert 'value="female" aria-describedby' in html or re.search(r'value="female"[^>]*checked', html)
    assert re.search(r'value="asthma"[^>]*checked', html)
    assert 'name="sleep_hours" value="5.5"' in html
    assert not Screening.objects.exists()
    assert wallet_balance(user=member) == {"available": 10, "held": 0}


def test_a_valid_questionnaire_goes_through_the_service_and_the_result_is_shown(
    member_client, member, answers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(reverse("screening:new"), form_data(answers, model="xgboost"))

    screening = Screening.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:detail", args=[screening.id])
    assert screening.status == Screening.Status.DONE
    assert screening.answers["sleep_hours"] == 5.5
    assert wallet_balance(user=member) == {"available": 5, "held": 0}

    page = member_client.get(response["Location"])
    html = page.content.decode()
    assert "Thank you. Your answers are in" in html
    assert page.context["percent"] in html
    assert screening.get_risk_band_display() in html
    assert "This is a screening estimate, not a diagnosis." in html
    assert screening.factors[0]["text"] in html
    assert "of people aged 12 and over in the US screened positive in the national health survey of 2021–2023" in html  # noqa: RUF001
    assert screening.model_version in html
    assert "data-poll-url" not in html


def test_without_enough_credits_nothing_is_created_and_the_model_choice_says_why(client, broke_member, answers):
    client.force_login(broke_member)

    response = client.post(reverse("screening:new"), form_data(answers))

    assert response.status_code == 200
    assert "This model costs 1 credit and you have 0." in response.context["form"].errors["model"][0]
    assert not Screening.objects.exists()


def test_an_unfinished_check_polls_a_status_partial_until_it_is_done(member_client, member):
    screening = ScreeningFactory(owner=member, status="pending")
    status_url = reverse("screening:status", args=[screening.id])

    page = member_client.get(reverse("screening:detail", args=[screening.id]))
    assert f'data-poll-url="{status_url}"' in page.content.decode()
    assert '<meta http-equiv="refresh"' in page.content.decode()  # inside <noscript>

    partial = member_client.get(status_url)
    assert "Working out your estimate" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    assert "no-cache" in partial["Cache-Control"]

    Screening.objects.filter(id=screening.id).update(
        status="done", probability=0.05, risk_band="low", base_rate=0.087, finished_at=timezone.now(), factors=FACTORS
    )
    partial = member_client.get(status_url).content.decode()
    assert "data-poll-url" not in partial
    assert "5%" in partial
    assert "Sleeping under 6 hours" in partial


def test_a_failed_check_says_so_plainly_and_shows_the_refund(
    member_client, member, answers, replace_model, django_capture_on_commit_callbacks
):
    def broken_model(model_key, answers):
        raise ValueError("model file unreadable")

    replace_model(broken_model)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(reverse("screening:new"), form_data(answers, model="forest"))

    html = member_client.get(response["Location"]).content.decode()
    assert "We could not work out this estimate" in html
    assert services.FAILED_MESSAGE in html
    assert "3 credits</strong> came back to you" in html
    assert "unreadable" not in html
    assert wallet_balance(user=member) == {"available": 10, "held": 0}
    assert LedgerEntry.objects.filter(kind="release").count() == 1


def test_a_high_estimate_puts_help_first_and_a_low_one_still_offers_it(member_client, member):
    high = finished(member, band="high")
    low = finished(member, probability=0.02, band="low")

    high_html = member_client.get(reverse("screening:detail", args=[high.id])).content.decode()
    low_html = member_client.get(reverse("screening:detail", args=[low.id])).content.decode()

    assert 'class="help-resources prominent"' in high_html
    assert high_html.index("help-resources prominent") < high_html.index("What shaped this estimate")
    assert "988 Suicide &amp; Crisis Lifeline" in high_html
    assert 'href="tel:988"' in high_html
    assert "help-resources prominent" not in low_html
    assert "988 Suicide &amp; Crisis Lifeline" in low_html
    assert "under 1%" not in low_html
    assert "2%" in low_html


def test_help_resources_never_depend_on_credits(client, broke_member):
    client.force_login(broke_member)
    screening = finished(broke_member, band="high")

    html = client.get(reverse("screening:detail", args=[screening.id])).content.decode()

    assert "Support is available now" in html
    assert "1-800-662-4357" in html


def test_the_detail_page_lists_the_answers_in_words_and_the_model(member_client, member, answers):
    screening = finished(member, answers=answers)

    html = member_client.get(reverse("screening:detail", args=[screening.id])).content.decode()

    assert "Your answers" in html
    assert "42,000 USD per year" in html
    assert "Some college or associate degree" in html
    assert "v-test" in html
    assert "Logistic regression" in html


@pytest.mark.parametrize("name", ["screening:detail", "screening:status"])
def test_someone_elses_check_is_not_found(client, member, outsider, name):
    screening = finished(member)
    client.force_login(outsider)

    assert client.get(reverse(name, args=[screening.id])).status_code == 404


def test_history_shows_a_chart_point_per_finished_check_and_a_table_of_all(member_client, member, outsider):
    finished(member, probability=0.12, band="moderate")
    finished(member, probability=0.31, band="high")
    ScreeningFactory(owner=member, status="failed", error_message="x")
    finished(outsider, probability=0.9, band="high")

    response = member_client.get(reverse("screening:history"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<circle class="point') == 2
    assert "<polyline" in html
    assert 'class="base-rate"' in html
    assert html.count('href="/checks/') == 2 + 3  # chart points + table rows
    assert "Could not be computed, credits returned" in html
    assert "90%" not in html
    assert 'href="/credits/"' in html


def test_history_without_checks_invites_a_first_one(member_client):
    html = member_client.get(reverse("screening:history")).content.decode()

    assert "You have not made a check yet." in html
    assert "<svg" not in html


def test_pages_use_a_fixed_number_of_queries_however_long_the_history(
    member_client, member, django_assert_max_num_queries
):
    for index in range(30):
        finished(member, probability=index / 40, band="moderate")
    screening = Screening.objects.first()

    # session + user, then: history count + page + chart + symptom chart + the latest PHQ-9 (the safety path) +
    # the help resources of the footer; detail: screening + help resources + the latest PHQ-9 (the invitation
    # beside the estimate, which also says whether the safety path is on) + the previous finished screening (what
    # moved the estimate) + the reminder preference (the "remind me" offer).
    with django_assert_max_num_queries(8):
        member_client.get(reverse("screening:history"))
    with django_assert_max_num_queries(7):
        member_client.get(reverse("screening:detail", args=[screening.id]))


def test_staff_help_resources_replace_the_defaults_on_results(member_client, member):
    HelpResource.objects.create(name="Campus counselling", phone="555-0100", order=1, country="US")
    screening = finished(member, band="high")

    html = member_client.get(reverse("screening:detail", args=[screening.id])).content.decode()

    assert "Campus counselling" in html
    assert "Crisis Text Line" not in html


def test_sending_the_same_form_twice_charges_once(member_client, member, answers, django_capture_on_commit_callbacks):
    data = {**form_data(answers, model="forest"), "submission_key": "3f1c2a"}

    with django_capture_on_commit_callbacks(execute=True):
        first = member_client.post(reverse("screening:new"), data)
        second = member_client.post(reverse("screening:new"), data, follow=True)

    screening = Screening.objects.get()
    assert first["Location"] == second.redirect_chain[-1][0] == reverse("screening:detail", args=[screening.id])
    assert "Nothing more was charged." in second.content.decode()
    assert wallet_balance(user=member) == {"available": 7, "held": 0}


def test_a_used_form_sent_again_with_other_answers_asks_to_check_them(
    member_client, member, answers, django_capture_on_commit_callbacks
):
    data = {**form_data(answers), "submission_key": "3f1c2a"}
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(reverse("screening:new"), data)

    response = member_client.post(reverse("screening:new"), {**data, "age": "35"})

    assert response.status_code == 200
    assert "You already sent this form with other answers." in response.content.decode()
    assert response.context["form"].data["submission_key"] != "3f1c2a"
    assert Screening.objects.count() == 1


def test_a_new_check_can_start_from_an_earlier_ones_answers(member_client, member, answers):
    earlier = finished(member, answers={**answers, "conditions": [], "education": None}, model_key="forest")

    response = member_client.get(reverse("screening:new"), {"from": str(earlier.id)})

    html = response.content.decode()
    assert "are filled in" in html
    assert 'name="age" value="34"' in html
    assert 'name="sleep_hours" value="5.5"' in html
    assert re.search(r'value="forest"[^>]*checked', html)
    assert re.search(r'name="conditions" value="none"[^>]*checked', html)
    assert re.search(r'name="education" value=""[^>]*checked', html)  # prefer not to say, as before


@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_starting_from_a_check_that_is_not_yours_is_not_found(client, member, outsider, value):
    theirs = finished(member)
    client.force_login(outsider)

    assert client.get(reverse("screening:new"), {"from": str(theirs.id)}).status_code == 404
    assert client.get(reverse("screening:new"), {"from": value}).status_code == 404


def test_without_models_the_questionnaire_says_checks_are_paused(member_client, monkeypatch):
    def no_models():
        raise ArtifactError("no active version")

    monkeypatch.setattr(views, "model_catalogue", no_models)

    response = member_client.get(reverse("screening:new"))

    assert response.status_code == 503
    assert "Checks are paused" in response.content.decode()
    assert "988 Suicide &amp; Crisis Lifeline" in response.content.decode()


def test_at_zero_credits_a_banner_at_the_top_says_when_the_allowance_comes_and_what_is_free(client, broke_member):
    client.force_login(broke_member)

    response = client.get(reverse("screening:new"))

    page = " ".join(response.content.decode().split())
    banner_at = page.index('id="no-credits"')
    assert banner_at < page.index("Part 1 of")
    assert "You have 0 credits left" in page
    next_date = response.context["next_allowance"]
    assert f"Your next 10 free credits arrive <strong>on {next_date:%-d %B %Y}</strong>" in page or (
        "later today" in page and response.context["allowance_today"]
    )
    assert "Always free, whatever your credits:" in page
    assert 'href="/symptoms/">symptom checks (PHQ-9 and GAD-7)</a>' in page
    assert 'href="/#help"' in page


def test_with_credits_there_is_no_banner(member_client):
    assert 'id="no-credits"' not in member_client.get(reverse("screening:new")).content.decode()


def test_check_again_does_not_preselect_a_model_the_person_can_no_longer_afford(client, member, answers):
    from billing.services import wallet_adjust
    from tests.factories import ScreeningFactory, UserFactory

    earlier = ScreeningFactory(owner=member, model_key="ensemble", answers=answers)
    wallet_adjust(user=member, amount=-8, author=UserFactory(), reason="spent")  # 2 left: only logistic
    client.force_login(member)

    form = client.get(reverse("screening:new") + f"?from={earlier.id}").context["form"]

    assert form.initial["model"] == "logistic"
    assert form.initial["age"] == "34"


def test_us_units_are_stored_in_metric_and_remembered_for_the_next_check(member_client, member, answers):
    from screening.models import Screening

    data = form_data({k: v for k, v in answers.items() if k not in ("height_cm", "weight_kg")})
    data.update(
        {
            "height_cm__unit": "ft_in",
            "height_cm__ft_in_ft": "5",
            "height_cm__ft_in_in": "11",
            "weight_kg__unit": "lb",
            "weight_kg__lb_value": "180",
        }
    )

    response = member_client.post(reverse("screening:new"), data)

    assert response.status_code == 302
    screening = Screening.objects.get(owner=member)
    assert (screening.answers["height_cm"], screening.answers["weight_kg"]) == (180.34, 81.6466)
    member.refresh_from_db()
    assert member.preferred_units == {"height_cm": "ft_in", "weight_kg": "lb"}
    assert member_client.get(reverse("screening:new")).context["form"].initial["weight_kg__unit"] == "lb"


def test_metric_chosen_once_is_offered_first_next_time(member_client, member, answers):
    data = {**form_data(answers), "height_cm__unit": "cm", "weight_kg__unit": "kg"}

    member_client.post(reverse("screening:new"), data)

    form = member_client.get(reverse("screening:new")).context["form"]
    assert (form.initial["height_cm__unit"], form.initial["weight_kg__unit"]) == ("cm", "kg")


def test_the_flash_after_sending_never_says_the_estimate_is_still_being_worked_out(member_client, answers):
    response = member_client.post(reverse("screening:new"), form_data(answers), follow=True)

    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Thank you. Your answers are in."]


def test_a_result_shows_counts_in_100_as_icon_arrays_with_a_text_alternative(
    member_client, member, answers, django_capture_on_commit_callbacks
):
    from screening.models import Screening

    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(reverse("screening:new"), form_data(answers, model="ensemble"))
    screening = Screening.objects.get(owner=member)
    assert screening.status == "done"

    page = member_client.get(reverse("screening:detail", args=[screening.id])).content.decode()

    count, base = round(screening.probability * 100), round(screening.base_rate * 100)
    assert page.count('class="person filled"') == count + base
    assert page.count('class="person"') + page.count('class="person filled"') == 200
    assert 'role="img" aria-labelledby="ia-estimate-title ia-estimate-desc"' in page
    assert f"{count} in 100 people like you would screen positive: {count} of 100 figures are filled." in page
    lead = (
        f"about <strong>{count}</strong> would screen positive; among people aged 12 and over in the US, about {base}"
    )
    assert lead in page


def test_a_result_shows_its_stored_what_ifs_with_the_association_note(
    member_client, member, answers, django_capture_on_commit_callbacks
):
    from predictor.whatifs import MODIFIABLE
    from screening.models import Screening

    unhealthy = {**answers, "smoking": "current", "sleep_hours": 5, "physical_activity": "none"}
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(reverse("screening:new"), form_data(unhealthy, model="logistic"))
    screening = Screening.objects.get(owner=member)

    page = " ".join(member_client.get(reverse("screening:detail", args=[screening.id])).content.decode().split())

    keys = [w["key"] for w in screening.what_ifs]
    assert {"smoking", "sleep_hours", "physical_activity"} <= set(keys) <= set(MODIFIABLE)
    smoking = next(w for w in screening.what_ifs if w["key"] == "smoking")
    in_100 = round(smoking["probability"] * 100)
    assert f"People with your answers but who have stopped smoking had an estimated {in_100} in 100." in page
    assert "This is an association, not a promise." in page


def test_the_model_choice_is_in_plain_words_with_comparable_accuracy_and_no_jargon(member_client):
    page = " ".join(member_client.get(reverse("screening:new")).content.decode().split())

    for jargon in ("log-odds", "Platt", "SHAP", "ROC-AUC", "soft vote"):
        assert jargon not in page
    assert "The simplest model: each answer moves the estimate up or down by a fixed amount." in page
    assert "it put someone who screened positive above someone who did not 83 times in 100." in page
    assert "All 4 models are about equally accurate, so the cheapest you can afford is chosen for you" in page
