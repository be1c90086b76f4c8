"""One person's whole visit in a real browser, with a screenshot of every page at desktop and phone widths."""

import json
import re
import threading
import time

import pytest
from django.db import connections

from accounts.models import User
from screening import services
from screening.models import Screening
from tests.browser.support import in_thread
from tests.factories import ScreeningFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "robin@example.com"
PASSWORD = "quiet-river-stone-7"
SCORING_DELAY_SECONDS = 2.0


@pytest.fixture
def slow_worker(monkeypatch, settings):
    """Score screenings in a background thread after a pause, as a busy Celery worker would, so the result page
    first shows its progress and must update itself. The form's own request does not score them: under load its
    web process is already scoring another (SCREENING_SCORE_IN_REQUEST_MAX), and that is the case shown here."""
    settings.SCREENING_SCORE_IN_REQUEST_MAX = 0
    threads = []

    def enqueue_later(screening):
        def work():
            time.sleep(SCORING_DELAY_SECONDS)
            try:
                services.screening_score(screening_id=screening.id)
            finally:
                connections.close_all()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        threads.append(thread)

    monkeypatch.setattr(services, "_enqueue", enqueue_later)
    yield
    for thread in threads:
        thread.join(timeout=30)


def fill_questionnaire(page, *, age: str):
    page.get_by_label("How old are you?").fill(age)
    page.check('input[name="sex"][value="female"]')
    page.check('input[name="education"][value="some_college"]')
    page.get_by_label("How many people live in your household").fill("2")
    page.get_by_label("What is your household's total income").fill("42,000")
    page.check('input[name="employment"][value="working"]')
    page.check('input[name="smoking"][value="never"]')
    page.get_by_label("On a typical day, how many hours do you spend sitting?").fill("8")
    page.get_by_label("How many hours do you usually sleep").fill("5.5")
    page.check('input[name="sleep_trouble_told_doctor"][value="yes"]')
    page.check('input[name="height_cm__unit"][value="cm"]')
    page.locator("#id_height_cm").fill("168")
    page.check('input[name="weight_kg__unit"][value="kg"]')
    page.locator("#id_weight_kg").fill("70")
    page.check('input[name="conditions"][value="asthma"]')
    page.check('input[name="general_health"][value="fair"]')
    page.check('input[name="model"][value="xgboost"]')


def test_a_person_checks_reads_the_result_exports_and_deletes_everything(live_server, browser, shoot, slow_worker):
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    url = live_server.url
    nav = page.get_by_role("navigation", name="Main")

    # A visitor reads the home page; the first Tab reaches the skip link.
    page.goto(url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.get_by_role("heading", name="What it does not do")).to_be_visible()
    shoot(page, "home")
    page.goto(url + "/models/")
    shoot(page, "model-card")

    # Sign up.
    page.goto(url + "/")
    page.get_by_role("link", name="Sign up — it takes a minute").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("I am 18 or older.").check()
    page.get_by_label("I have read the privacy notice").check()
    shoot(page, "signup")
    page.get_by_role("button", name="Sign up").click()
    # The same page and words whether or not the address had an account: sign in once.
    expect(page.get_by_text("If this address can be used, your account is ready: sign in.")).to_be_visible()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()

    # The questionnaire, with one mistake: the error is beside it and every other answer is kept.
    page.get_by_role("link", name="Start a check").click()
    fill_questionnaire(page, age="12")
    shoot(page, "questionnaire")
    page.get_by_role("button", name="See my estimate").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a value from 18 to 120 years.")
    expect(page.locator("#q-age .field-error")).to_have_text("Enter a value from 18 to 120 years.")
    expect(page.get_by_label("How old are you?")).to_have_value("12")
    expect(page.get_by_label("How many hours do you usually sleep")).to_have_value("5.5")
    expect(page.locator('input[name="sex"][value="female"]')).to_be_checked()
    expect(page.locator('input[name="conditions"][value="asthma"]')).to_be_checked()
    expect(page.locator('input[name="model"][value="xgboost"]')).to_be_checked()
    assert not in_thread(Screening.objects.exists)
    shoot(page, "questionnaire-error")

    # Fix it; the result page shows progress, then the result arrives without a reload.
    summary.get_by_role("link").click()
    expect(page.get_by_label("How old are you?")).to_be_in_viewport()
    page.get_by_label("How old are you?").fill("34")
    page.get_by_role("button", name="See my estimate").click()
    expect(page.get_by_role("heading", name="Working out your estimate…")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    shoot(page, "result-in-progress")
    expect(page.get_by_role("heading", name="Your estimate", exact=True)).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True  # updated in place: no reload happened
    expect(page.locator("#result")).to_contain_text("This is a screening estimate, not a diagnosis.")
    assert re.fullmatch(r"\d+%|under 1%|over 99%", page.locator(".big-number").inner_text())
    expect(page.locator(".factor").first).to_be_visible()
    expect(page.locator("#help")).to_be_visible()
    screening = in_thread(Screening.objects.get)
    assert screening.status == Screening.Status.DONE
    page.reload()
    shoot(page, "result")

    # History shows the chart and the table; the credits page is one click away.
    nav.get_by_role("link", name="History").click()
    expect(page.locator("svg.history-chart circle.point")).to_have_count(1)
    expect(page.locator("table.history-table tbody tr")).to_have_count(1)
    shoot(page, "history")
    page.get_by_role("link", name="your credits page").click()
    expect(page.get_by_role("heading", name="Your credits", exact=True)).to_be_visible()
    shoot(page, "credits")

    # Someone else's check is not found.
    other = in_thread(lambda: ScreeningFactory(owner=UserFactory(email="someone-else@example.com")))
    response = page.goto(f"{url}/checks/{other.id}/")
    assert response.status == 404

    # Export downloads the person's data as JSON.
    page.goto(url + "/")
    nav.get_by_role("link", name="Account").click()
    shoot(page, "account")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".json")
    with open(download.path(), encoding="utf-8") as exported:
        data = json.load(exported)
    assert data["profile"]["email"] == EMAIL
    assert [s["id"] for s in data["screenings"]] == [str(screening.id)]
    assert data["screenings"][0]["answers"]["sleep_hours"] == 5.5
    assert data["screenings"][0]["result"]["probability"] == screening.probability
    assert [entry["kind"] for entry in data["ledger"]] == ["grant", "hold", "capture"]

    # Delete the account: a wrong password first, then the right one.
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#id_password_error")).to_contain_text("That is not your current password.")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account and everything in it have been deleted.")).to_be_visible()
    shoot(page, "deleted")
    assert not in_thread(User.objects.filter(email=EMAIL).exists)
    assert not in_thread(Screening.objects.filter(id=screening.id).exists)

    # Logging in again fails.
    nav.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("That email and password do not match an account.")).to_be_visible()
    shoot(page, "login-refused")
    page.close()
