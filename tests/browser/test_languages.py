"""The main flow in Spanish and in Russian, in a real browser: the footer's switcher (a plain form) → sign up → the
questionnaire with a mistake → the result → the history, with no English text of the catalogue left on any of them
(tests/english_left.py says how that is computed). Screenshots at desktop width, into docs/screenshots/ only with
SCREENSHOTS=1."""

import threading

import pytest
from django.db import connections
from django.utils import translation

from accounts.models import User
from screening import services
from screening.models import Screening
from tests.browser.conftest import SCREENSHOTS, WIDTHS, _shrink
from tests.browser.support import in_thread
from tests.english_left import english_left

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "quiet-river-stone-7"


@pytest.fixture
def worker(monkeypatch):
    """Score each screening at once in a thread of its own, as a free Celery worker would."""

    def enqueue(screening):
        def work():
            try:
                services.screening_score(screening_id=screening.id)
            finally:
                connections.close_all()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        thread.join(timeout=30)

    monkeypatch.setattr(services, "_enqueue", enqueue)


def _shoot(page, language: str, number: int, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width, height = WIDTHS["desktop"]
    page.set_viewport_size({"width": width, "height": height})
    path = SCREENSHOTS / f"{language}-{number:02d}-{name}-desktop.png"
    page.screenshot(path=str(path), full_page=True)
    _shrink(path)


def _no_english_left(page, language: str) -> None:
    left = english_left(page.content(), language=language)
    assert left == [], f"{page.url}: English left on the {language} page: {left}"


def _fill_questionnaire(page, *, age: str) -> None:
    page.locator("#id_age").fill(age)
    page.check('input[name="sex"][value="male"]')
    page.check('input[name="education"][value="college_graduate"]')
    page.locator("#id_household_size").fill("1")
    # Written the way the language writes numbers: "42.000" is forty-two thousand, "6,5" six and a half.
    page.locator("#id_annual_household_income").fill("42.000")
    page.check('input[name="employment"][value="working"]')
    page.check('input[name="smoking"][value="current"]')
    page.locator("#id_sitting_hours").fill("10")
    page.locator("#id_sleep_hours").fill("6,5")
    page.check('input[name="height_cm__unit"][value="cm"]')
    page.locator("#id_height_cm").fill("180")
    page.check('input[name="weight_kg__unit"][value="kg"]')
    page.locator("#id_weight_kg").fill("95")
    page.check('input[name="conditions"][value="none"]')
    page.check('input[name="general_health"][value="good"]')
    page.check('input[name="model"][value="logistic"]')


@pytest.mark.parametrize("language", ["es", "ru"])
def test_the_main_flow_reads_entirely_in_the_chosen_language(live_server, browser, worker, language):
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    url = live_server.url
    email = f"lena-{language}@example.com"

    # An English browser; the footer's switcher changes the language without JavaScript.
    page.goto(url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("footer select[name=language]").select_option(language)
    page.locator("footer .language-switcher button").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    _no_english_left(page, language)

    # Sign up: the account keeps the language the page was in.
    page.goto(url + "/accounts/signup/")
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_confirm_adult").check()
    page.locator("#id_accept_privacy").check()
    _no_english_left(page, language)
    _shoot(page, language, 1, "signup")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".messages .message.success")).to_be_visible()
    assert in_thread(lambda: User.objects.get(email=email).language) == language
    # To the login page, in the language, whether or not the address had an account: sign in once.
    _no_english_left(page, language)
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".messages .message.success")).to_be_visible()

    # The questionnaire with one mistake: the message is in the language, beside the question and in the summary.
    page.goto(url + "/check/")
    _fill_questionnaire(page, age="12")
    page.locator("form.questionnaire button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    with translation.override(language):
        expected = translation.gettext("Enter a value from %(low)s to %(high)s %(unit)s.") % {
            "low": 18,
            "high": 120,
            "unit": translation.pgettext("unit beside a box", "years"),
        }
    expect(page.locator("#q-age .field-error")).to_have_text(expected)
    expect(page.locator("#id_sleep_hours")).to_have_value("6,5")
    assert not in_thread(Screening.objects.exists)
    _no_english_left(page, language)
    _shoot(page, language, 2, "questionnaire-error")

    # Fixed, the result: its factors and what-ifs are worded in the language too.
    page.locator("#id_age").fill("34")
    page.locator("form.questionnaire button[type=submit]").click()
    expect(page.locator("#result .big-number")).to_be_visible()
    screening = in_thread(Screening.objects.get)
    assert screening.answers["sleep_hours"] == 6.5
    assert screening.answers["annual_household_income"] == 42_000
    expect(page.locator(".factor").first).to_be_visible()
    expect(page.locator(".what-if-list li").first).to_be_visible()
    _no_english_left(page, language)
    _shoot(page, language, 3, "result")

    # The history: chart and table.
    page.locator("nav.nav a[href='/history/']").click()
    expect(page.locator("table.history-table tbody tr")).to_have_count(1)
    _no_english_left(page, language)
    _shoot(page, language, 4, "history")
    page.close()
