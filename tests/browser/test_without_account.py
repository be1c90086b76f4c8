"""A PHQ-9 taken logged out, in a real browser on a phone: the score and the safety path at once, nothing stored,
then kept as the new account's first check by signing up (issue 27, item 3)."""

import pytest

from accounts.models import User
from symptoms.models import SymptomCheck
from tests.browser.conftest import SCREENSHOTS, WIDTHS, _shrink
from tests.browser.support import in_thread
from tests.symptoms.test_without_account import row_counts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = WIDTHS["phone"]
# Total 11, item 9 ("better off dead, or of hurting yourself") at 1.
ANSWERS = {"phq9_1": 2, "phq9_2": 2, "phq9_3": 1, "phq9_4": 2, "phq9_5": 0, "phq9_6": 1, "phq9_7": 1, "phq9_8": 1}
ANSWERS |= {"phq9_9": 1}


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"without-account-{name}-phone.png"
    page.screenshot(path=str(path), full_page=True)
    _shrink(path)


def test_a_phq9_taken_logged_out_shows_the_safety_path_stores_nothing_and_is_kept_by_signing_up(live_server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    page = browser.new_page(viewport={"width": PHONE[0], "height": PHONE[1]})
    url = live_server.url
    before = in_thread(row_counts)

    # From the home page, no account: the PHQ-9 is one link away, not behind a sign-up form.
    page.goto(url + "/")
    page.get_by_role("link", name="answer the PHQ-9 or the GAD-7 now, without an account").click()
    expect(page.locator(".without-account")).to_contain_text("No account needed")
    page.get_by_role("link", name="Answer the PHQ-9").click()
    for key, value in ANSWERS.items():
        page.locator(f'input[name="{key}"][value="{value}"]').check()
    page.get_by_role("button", name="See my score").click()

    # Scored at once, the calm message and a crisis line first, the score after them.
    safety, score = page.locator("#safety"), page.locator("#score")
    expect(safety).to_be_visible()
    expect(score).to_contain_text("11 of 27")
    first_call = page.locator('a[href^="tel:"]').first
    expect(first_call).to_be_visible()
    assert safety.bounding_box()["y"] < first_call.bounding_box()["y"] < score.bounding_box()["y"]
    expect(page.locator("#keep")).to_contain_text("This result is not kept")
    shoot(page, "01-result-safety")
    assert in_thread(row_counts) == before  # every table, sessions included
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid"]

    # Kept by signing up: it becomes the new account's first check.
    page.get_by_role("button", name="Keep it: create an account").click()
    expect(page.get_by_text("your result will be kept as your first check")).to_be_visible()
    page.get_by_label("Email").fill("visitor@example.com")
    page.get_by_label("Password", exact=True).fill("quiet-river-stone-7")
    page.get_by_label("Password again").fill("quiet-river-stone-7")
    page.get_by_label("I am 18 or older.").check()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Sign up").click()
    # The same page and words whether or not the address had an account: sign in once, and back to the checks.
    expect(page.get_by_text("If this address can be used, your account is ready: sign in.")).to_be_visible()
    page.get_by_label("Email").fill("visitor@example.com")
    page.get_by_label("Password").fill("quiet-river-stone-7")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_text("You are logged in.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your answers so far")).to_be_visible()
    page.locator("table a").first.click()
    expect(page.locator("#score")).to_contain_text("11 of 27")
    expect(page.locator("#safety")).to_be_visible()
    shoot(page, "02-kept-after-sign-up")

    def kept():
        user = User.objects.get(email="visitor@example.com")
        return [(c.instrument, c.total, c.safety_flag) for c in SymptomCheck.objects.filter(owner=user)]

    assert in_thread(kept) == [("phq9", 11, True)]
