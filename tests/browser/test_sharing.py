"""A share link in a real browser: made from the summary, opened signed out on a desktop and a phone, printed on
one page, turned off, and then refused; axe-core checks each page at both widths."""

from datetime import timedelta

import pytest
from django.utils import timezone

from symptoms.instruments import GAD7, PHQ9
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.browser.conftest import SCREENSHOTS, WIDTHS, _shrink
from tests.browser.support import in_thread
from tests.browser.test_symptoms import pdf_page_count
from tests.factories import PASSWORD, ScreeningFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "robin@example.com"
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)


def shoot(page, name: str) -> None:
    """axe-core finds no violation at desktop and phone width; then a full-page screenshot at each, named
    sharing-<name>-<width>.png."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        results = axe.run(page)
        assert results.violations_count == 0, f"{name} at {label}:\n{results.generate_report()}"
        path = SCREENSHOTS / f"sharing-{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        _shrink(path)
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})


def make_history():
    user = UserFactory(email=EMAIL, display_name="Robin")
    now = timezone.now()
    for weeks_ago, phq_total, gad_total in ((4, 15, 12), (2, 12, 9), (0, 9, 6)):
        for instrument, total in ((PHQ9, phq_total), (GAD7, gad_total)):
            answers, left = {}, total
            for item in instrument.items:
                answers[item.key] = min(3, left) if not item.safety else 0
                left -= answers[item.key]
            check = symptom_check_submit(user=user, instrument_key=instrument.key, answers=answers).check
            SymptomCheck.objects.filter(id=check.id).update(created_at=now - timedelta(weeks=weeks_ago, hours=1))
    ScreeningFactory(
        owner=user, model_key="ensemble", cost=7, status="done", probability=0.14, risk_band="moderate",
        base_rate=0.087, model_version="v2026.11.26", interval_low=0.09, interval_high=0.2,
        finished_at=now - timedelta(days=3),
    )  # fmt: skip
    return user


def test_a_link_is_made_opened_signed_out_on_desktop_and_phone_printed_on_one_page_revoked_and_refused(
    live_server, browser
):
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    in_thread(make_history)
    url = live_server.url
    owner = browser.new_context(viewport={"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
    page = owner.new_page()
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # From the summary, a link with the estimates, for 14 days, in English.
    page.goto(url + "/summary/")
    page.get_by_role("link", name="Share with a clinician (a link or a FHIR file)").click()
    expect(page.get_by_role("heading", name="Share your summary with a clinician")).to_be_visible()
    page.get_by_label("Symptom checks and life-factor estimates").check()
    expect(page.get_by_label("How many days it works")).to_have_value("14")
    page.get_by_label("Language of the shared page").select_option("en")
    page.get_by_role("button", name="Make the link").click()
    field = page.locator("[data-share-url]")
    expect(field).to_be_visible()
    shared_url = field.input_value()
    assert shared_url.startswith(url + "/s/")
    qr = page.locator("img.share-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    shoot(page, "01-link-made")

    # Signed out, in a browser of its own, on a desktop ...
    desktop = browser.new_context(viewport={"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
    clinic = desktop.new_page()
    response = clinic.goto(shared_url)
    assert response.status == 200
    assert response.headers["cache-control"] == "no-store"
    assert "noindex" in response.headers["x-robots-tag"]
    expect(clinic.get_by_role("heading", name="Mood and anxiety self-check summary")).to_be_visible()
    expect(clinic.locator(".shared-by")).to_contain_text("Shared by Robin")
    expect(clinic.locator("body")).to_contain_text("not a diagnosis")
    expect(clinic.locator("body")).to_contain_text("total 9 of 27")
    expect(clinic.locator("#s-estimate")).to_be_visible()
    assert clinic.get_by_role("link", name="Log in").count() == 0  # no site navigation on a shared page
    shoot(clinic, "02-shared-page")

    # ... and on a phone.
    phone_context = browser.new_context(
        viewport={"width": WIDTHS["phone"][0], "height": WIDTHS["phone"][1]}, user_agent=PHONE_UA, is_mobile=True
    )
    phone = phone_context.new_page()
    assert phone.goto(shared_url).status == 200
    expect(phone.get_by_role("heading", name="Mood and anxiety self-check summary")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"][0]

    # It prints on one page, A4 and Letter.
    clinic.emulate_media(media="print")
    assert clinic.locator(".no-print").first.is_hidden()
    for paper in ("A4", "Letter"):
        pdf = clinic.pdf(format=paper, print_background=False)
        assert pdf_page_count(pdf) == 1, paper
        if paper == "A4":
            (SCREENSHOTS / "sharing-02-shared-page.pdf").write_bytes(pdf)

    # The owner sees both openings, and turns the link off.
    page.goto(url + "/summary/share/")
    openings = page.locator(".share-links .share-openings li")
    expect(openings).to_have_count(2)
    expect(openings.first).to_contain_text("a browser on a phone or tablet")
    expect(openings.last).to_contain_text("a desktop browser")
    page.get_by_role("button", name="Turn this link off").click()
    expect(page.locator(".messages")).to_contain_text("The link is turned off")
    page.goto(url + "/accounts/settings/")
    expect(page.locator("#share-openings-title")).to_be_visible()

    # Reloaded, the shared page is refused with the kind 410 page.
    response = clinic.reload()
    assert response.status == 410
    clinic.emulate_media(media="screen")
    expect(clinic.get_by_role("heading", name="This link does not work any more")).to_be_visible()
    expect(clinic.locator("body")).not_to_contain_text("Robin")
    shoot(clinic, "03-link-turned-off")
    for context in (owner, desktop, phone_context):
        context.close()
