"""The reminder forms (account page, end of a check, their own page) and the logged-out unsubscribe."""

from datetime import timedelta

import pytest
from django.template.defaultfilters import date as date_format
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from reminders.models import ReminderPreference
from reminders.services import reminder_unsubscribe_token
from symptoms.instruments import PHQ9
from symptoms.services import symptom_check_submit
from tests.factories import ScreeningFactory
from tests.reminders.conftest import opt_in
from tests.symptoms.conftest import answers_totalling

pytestmark = pytest.mark.django_db

SETTINGS = reverse("reminders:settings")
OFF = reverse("reminders:off")
ACCOUNT = reverse("privacy:settings")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def unsubscribed_total(via: str) -> float:
    return REGISTRY.get_sample_value("mhc_reminders_unsubscribed_total", {"via": via}) or 0.0


def test_the_account_page_turns_reminders_on_with_a_cadence_and_off_again(member_client, member):
    page = member_client.get(ACCOUNT).content.decode()
    assert "Reminders are off." in page
    assert 'name="cadence_weeks"' in page

    response = member_client.post(SETTINGS, {"cadence_weeks": "3", "next": ACCOUNT})
    assert response.status_code == 302
    assert response["Location"] == ACCOUNT
    preference = ReminderPreference.objects.get(person=member)
    assert (preference.enabled, preference.cadence_weeks) == (True, 3)
    page = member_client.get(ACCOUNT).content.decode()
    assert "we e-mail you every 3 weeks after your last check" in page
    assert "We will e-mail you a reminder to check in every 3 weeks." in page

    before = unsubscribed_total("account")
    response = member_client.post(OFF, {"next": ACCOUNT})
    assert response["Location"] == ACCOUNT
    assert ReminderPreference.objects.get(person=member).enabled is False
    assert unsubscribed_total("account") == before + 1
    assert "Reminders are off." in member_client.get(ACCOUNT).content.decode()


@pytest.mark.parametrize("cadence", ["0", "9", "two", "", "2.5", "-1"])
def test_a_cadence_outside_1_to_8_weeks_is_refused_next_to_the_field(member_client, member, cadence):
    response = member_client.post(SETTINGS, {"cadence_weeks": cadence, "next": ACCOUNT})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="field-error" id="id_cadence_weeks_error"' in page
    assert "Choose a whole number of weeks from 1 to 8." in page
    assert not ReminderPreference.objects.filter(person=member).exists()


def test_every_cadence_from_1_to_8_weeks_is_accepted(member_client, member):
    for weeks in range(1, 9):
        assert member_client.post(SETTINGS, {"cadence_weeks": str(weeks)}).status_code == 302
        assert ReminderPreference.objects.get(person=member).cadence_weeks == weeks


def test_the_form_does_not_send_anyone_to_another_site(member_client):
    response = member_client.post(SETTINGS, {"cadence_weeks": "2", "next": "https://evil.example/"})
    assert response["Location"] == SETTINGS


def test_a_symptom_check_result_offers_a_reminder_in_2_weeks(member_client, member):
    answers = {**answers_totalling(PHQ9, 9), "phq9_difficulty": 1}
    check = symptom_check_submit(user=member, instrument_key=PHQ9.key, answers=answers).check
    url = reverse("symptoms:detail", args=[check.id])
    page = member_client.get(url).content.decode()
    assert "Remind me in 2 weeks" in page

    response = member_client.post(SETTINGS, {"cadence_weeks": "2", "next": url})
    assert response["Location"] == url
    page = member_client.get(url).content.decode()
    due = date_format(timezone.now().date() + timedelta(weeks=2), "DATE_FORMAT")
    assert f"We will e-mail you a reminder on {due}." in page
    assert "Remind me in 2 weeks" not in page

    member_client.post(OFF, {"next": url})
    assert "Remind me in 2 weeks" in member_client.get(url).content.decode()


def test_a_risk_result_offers_a_reminder_in_2_weeks(member_client, member):
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.2, risk_band="moderate", finished_at=timezone.now()
    )
    page = member_client.get(reverse("screening:detail", args=[screening.id])).content.decode()
    assert "Remind me in 2 weeks" in page
    assert f'name="next" value="{reverse("screening:detail", args=[screening.id])}"' in page


def test_the_reminder_pages_need_a_login(client):
    assert client.get(SETTINGS).status_code == 302
    assert client.post(SETTINGS, {"cadence_weeks": "2"}).status_code == 302
    assert client.post(OFF).status_code == 302


def test_the_unsubscribe_link_asks_first_then_turns_reminders_off_without_a_login(member):
    opt_in(member)
    url = reverse("reminders:unsubscribe", args=[reminder_unsubscribe_token(user=member)])
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(url)
    assert page.status_code == 200
    assert "Do you want to stop the e-mails" in page.content.decode()
    assert ReminderPreference.objects.get(person=member).enabled is True  # a link scanner's GET changes nothing

    before = unsubscribed_total("link")
    done = browser.post(url)
    assert done.status_code == 200
    assert "We will not send you any more reminders." in done.content.decode()
    assert ReminderPreference.objects.get(person=member).enabled is False
    assert unsubscribed_total("link") == before + 1
    # Twice is harmless and not counted twice.
    assert browser.post(url).status_code == 200
    assert unsubscribed_total("link") == before + 1


def test_a_one_click_post_from_the_mail_client_unsubscribes_and_is_counted_as_such(member):
    opt_in(member)
    url = reverse("reminders:unsubscribe", args=[reminder_unsubscribe_token(user=member)])
    before = unsubscribed_total("one_click")
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert ReminderPreference.objects.get(person=member).enabled is False
    assert unsubscribed_total("one_click") == before + 1


@pytest.mark.parametrize("token", ["MQ:1xaYOy:forged", "not-a-token"])
def test_an_altered_link_unsubscribes_nobody(member, outsider, token):
    opt_in(member)
    url = reverse("reminders:unsubscribe", args=[token])
    for response in (Client().get(url), Client().post(url)):
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert ReminderPreference.objects.get(person=member).enabled is True


def test_a_token_signed_for_something_else_is_refused(member):
    from django.core import signing

    opt_in(member)
    token = signing.dumps(member.pk)  # right key, no salt: not an unsubscribe token
    response = Client().post(reverse("reminders:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert ReminderPreference.objects.get(person=member).enabled is True


def test_the_outsiders_link_leaves_the_members_reminders_alone(member, outsider):
    opt_in(member)
    opt_in(outsider)
    Client().post(reverse("reminders:unsubscribe", args=[reminder_unsubscribe_token(user=outsider)]))
    assert ReminderPreference.objects.get(person=member).enabled is True
    assert ReminderPreference.objects.get(person=outsider).enabled is False


def test_the_account_page_says_when_the_next_reminder_is_due(member_client, member):
    answers = {**answers_totalling(PHQ9, 3), "phq9_difficulty": 0}
    symptom_check_submit(user=member, instrument_key=PHQ9.key, answers=answers)
    opt_in(member, weeks=4, started_days_ago=3)
    page = member_client.get(ACCOUNT).content.decode()
    due = date_format(timezone.now().date() + timedelta(weeks=4), "DATE_FORMAT")
    assert f"we e-mail you every 4 weeks after your last check. The next one is due on {due}." in page


def test_the_offer_shows_nothing_to_someone_without_an_account(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    request = rf.get("/symptoms/checks/x/")
    request.user = AnonymousUser()
    html = Template('{% include "reminders/_offer_include.html" %}').render(Context({"request": request}))
    assert html.strip() == ""
