"""Re-check reminders in a real browser: "remind me in 2 weeks" at the end of a check, the e-mail as it renders in
three languages, and the logged-out unsubscribe. axe-core checks each page; screenshots reminders-*.png."""

import re

import pytest

from reminders.services import reminder_message
from symptoms.instruments import PHQ9
from symptoms.services import symptom_check_submit
from tests.browser.support import in_thread
from tests.browser.test_result_and_credits import check_and_shoot
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "sam@example.com"


def make_person_with_a_check():
    user = UserFactory(email=EMAIL, display_name="Sam")
    answers = {item.key: 1 for item in PHQ9.items if not item.safety} | {"phq9_9": 0}
    return symptom_check_submit(user=user, instrument_key=PHQ9.key, answers=answers).check.id


def rendered_emails():
    from accounts.models import User

    user = User.objects.get(email=EMAIL)
    emails = {}
    for language in ("en", "es", "ru"):
        user.language = language
        message = reminder_message(person=user, cadence_weeks=2)
        emails[language] = (message.subject, message.alternatives[0][0], message.extra_headers)
    return emails


def test_a_person_asks_for_a_reminder_reads_the_email_and_unsubscribes_logged_out(live_server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    check_id = in_thread(make_person_with_a_check)
    url = live_server.url
    page = browser.new_page()
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{url}/symptoms/checks/{check_id}/")
    page.get_by_role("button", name="Remind me in 2 weeks").click()
    expect(page.locator(".messages")).to_contain_text("every 2 weeks")
    expect(page.locator("#reminders")).to_contain_text("We will e-mail you a reminder on")
    check_and_shoot(page, "reminders-01-offer-taken", element="#reminders")

    page.goto(url + "/accounts/settings/")
    expect(page.locator("#reminders")).to_contain_text("Reminders are on")
    check_and_shoot(page, "reminders-02-account-card", element="#reminders")

    # The HTML alternative as a mail client shows it: a blank page of its own, not under the site's CSP.
    emails = in_thread(rendered_emails)
    mail_view = browser.new_page()
    for number, (language, (subject, html, _headers)) in enumerate(emails.items(), start=3):
        mail_view.set_content(html)
        expect(mail_view.locator("h1")).to_have_text(subject)
        check_and_shoot(mail_view, f"reminders-{number:02d}-email-{language}")
    unsubscribe = re.fullmatch(r"<http://localhost:8000(.+)>", emails["en"][2]["List-Unsubscribe"]).group(1)

    # Someone else's browser, nobody logged in.
    stranger = browser.new_page()
    stranger.goto(url + unsubscribe)
    check_and_shoot(stranger, "reminders-06-unsubscribe-confirm")
    stranger.get_by_role("button", name="Stop the reminders").click()
    expect(stranger.get_by_role("heading", name="Reminders are off")).to_be_visible()

    page.goto(url + "/accounts/settings/")
    expect(page.locator("#reminders")).to_contain_text("Reminders are off.")
