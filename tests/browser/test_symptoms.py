"""Symptom self-checks in a real browser: the safety path on a phone, the history chart, a one-page summary."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from symptoms.instruments import GAD7, PHQ9
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.browser.conftest import SCREENSHOTS, WIDTHS, _shrink
from tests.browser.support import in_thread
from tests.factories import PASSWORD, ScreeningFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "sam@example.com"
PHONE = WIDTHS["phone"]
# Items 1-8 as a person might answer them (total 11 with item 9 = 1): several days to nearly every day.
ANSWERS = {"phq9_1": 2, "phq9_2": 2, "phq9_3": 1, "phq9_4": 2, "phq9_5": 0, "phq9_6": 1, "phq9_7": 1, "phq9_8": 1}


def shoot(page, name: str) -> None:
    """Full-page screenshots at desktop and phone width, named symptoms-<name>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        path = SCREENSHOTS / f"symptoms-{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        _shrink(path)


def pdf_page_count(pdf: bytes) -> int:
    """The page tree's /Count: Chromium writes the root /Pages dictionary uncompressed."""
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    assert counts, "no page tree found in the PDF"
    return max(counts)


def make_history():
    """Earlier checks over six weeks, both instruments, and one life-factor estimate."""
    user = UserFactory(email=EMAIL, display_name="Sam")
    now = timezone.now()
    for weeks_ago, phq_total, gad_total in ((6, 16, 13), (4, 14, 11), (2, 12, 8)):
        for instrument, total in ((PHQ9, phq_total), (GAD7, gad_total)):
            answers, left = {}, total
            for item in instrument.items:
                answers[item.key] = min(3, left) if not item.safety else 0
                left -= answers[item.key]
            check = symptom_check_submit(user=user, instrument_key=instrument.key, answers=answers).check
            SymptomCheck.objects.filter(id=check.id).update(created_at=now - timedelta(weeks=weeks_ago))
    ScreeningFactory(
        owner=user, model_key="ensemble", cost=7, status="done", probability=0.06, risk_band="low",
        base_rate=0.087, model_version="v2026.11.26", finished_at=now - timedelta(days=3),
    )  # fmt: skip
    return user


def test_item_9_shows_crisis_links_above_the_score_on_a_phone_and_the_summary_prints_on_one_page(live_server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    in_thread(make_history)
    page = browser.new_page(viewport={"width": PHONE[0], "height": PHONE[1]})
    url = live_server.url

    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # A low life-factor estimate beside a PHQ-9 of 12 says the symptoms count more.
    page.goto(url + "/history/")
    page.locator(".history-table a").first.click()
    counts = page.locator(".symptoms-count")
    expect(counts).to_contain_text("Your symptoms count more than this estimate")
    counts.get_by_role("link", name="Answer the PHQ-9 again").click()

    expect(page.get_by_role("heading", name="Patient Health Questionnaire (PHQ-9)")).to_be_visible()
    shoot(page, "01-phq9-form")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    for key, value in {**ANSWERS, "phq9_9": 1}.items():
        page.locator(f'input[name="{key}"][value="{value}"]').check()
    page.get_by_role("button", name="See my score").click()

    # At 390 px, the calm message and the crisis resources come before the score, with tappable links.
    safety = page.locator("#safety")
    expect(safety).to_be_visible()
    expect(safety).to_be_focused()
    score = page.locator("#score")
    expect(score).to_contain_text("11 of 27")
    assert safety.bounding_box()["y"] < page.locator("#help").bounding_box()["y"] < score.bounding_box()["y"]
    for href in ("tel:988", "sms:988", "sms:741741?body=HOME"):
        link = page.locator(f'#help a[href="{href}"]')
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["height"] >= 44, (href, box)
        assert box["x"] >= 0, (href, box)
        assert box["x"] + box["width"] <= PHONE[0], (href, box)
        assert box["y"] < score.bounding_box()["y"]
    shoot(page, "02-result-safety")

    # The history chart: PHQ-9 and GAD-7 as their own series, with band lines.
    page.goto(url + "/history/")
    chart = page.locator("svg.symptom-chart")
    expect(chart).to_be_visible()
    assert chart.locator(".series-phq9 .point").count() == 4
    assert chart.locator(".series-gad7 .point").count() == 3
    assert chart.locator(".series-phq9 polyline").count() == 1
    assert chart.locator(".series-gad7 polyline").count() == 1
    assert chart.locator("line.cutoff").count() == 4
    page.locator("figure:has(svg.symptom-chart)").scroll_into_view_if_needed()
    shoot(page, "03-history-both-series")

    # The clinician summary prints on exactly one page, A4 and Letter.
    page.goto(url + "/summary/")
    expect(page.get_by_role("heading", name="Mood and anxiety self-check summary")).to_be_visible()
    expect(page.locator("body")).to_contain_text("total 11 of 27")
    shoot(page, "04-clinician-summary")
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    band = page.locator(".summary-total .band-word").first
    assert band.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=False)
        assert pdf_page_count(pdf) == 1, paper
        if paper == "A4":
            (SCREENSHOTS / "symptoms-04-clinician-summary.pdf").write_bytes(pdf)
