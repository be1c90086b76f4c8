"""In a real browser, in English, Spanish and Russian: the history with change labels and the PHQ-9's items over
time, and what moved an estimate, at desktop and phone width, with axe-core reporting no serious or critical
violation; and the clinician summary, with its labels and item-9 marks, still printing on one A4 and one Letter page.
Screenshots into docs/screenshots/ with SCREENSHOTS=1."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from predictor.services import predict, validate_answers
from screening.models import Screening
from symptoms.instruments import GAD7, PHQ9
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.browser.conftest import SCREENSHOTS, WIDTHS, _shrink
from tests.browser.support import in_thread
from tests.browser.test_symptoms import pdf_page_count
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "robin@example.com"
ANSWERS = {
    "age": 34, "sex": "female", "education": "some_college", "marital_status": "never_married", "household_size": 2,
    "annual_household_income": 42000, "employment": "working", "smoking": "current", "alcohol_drinks_per_day": 1,
    "physical_activity": "moderate", "sitting_hours": 8, "diet_quality": "good", "sleep_hours": 5.5,
    "sleep_trouble_told_doctor": "yes", "height_cm": 168, "weight_kg": 70, "conditions": ["asthma"],
    "general_health": "fair", "mental_health_visit": "no",
}  # fmt: skip


def _answers(instrument, total, *, item_9=0):
    answers, left = {}, total - item_9
    for item in instrument.items:
        answers[item.key] = item_9 if item.safety else min(3, left)
        left -= 0 if item.safety else answers[item.key]
    return answers


def make_course():
    """Eight weeks of checks: the PHQ-9 from 17 to 8 (item 9 above 0 twice), the GAD-7 from 12 to 6, then a rise;
    and two life-factor estimates, the earlier one by an older model version with other answers."""
    user = UserFactory(email=EMAIL, display_name="Robin")
    now = timezone.now()
    course = ((8, 17, 12, 1), (6, 15, 11, 1), (4, 11, 9, 0), (2, 8, 6, 0), (0, 14, 7, 0))
    for weeks_ago, phq, gad, item_9 in course:
        for instrument, total, flag in ((PHQ9, phq, item_9), (GAD7, gad, 0)):
            check = symptom_check_submit(
                user=user, instrument_key=instrument.key, answers=_answers(instrument, total, item_9=flag)
            ).check
            when = now - timedelta(weeks=weeks_ago, hours=1 if instrument is GAD7 else 0)
            SymptomCheck.objects.filter(id=check.id).update(created_at=when)
    before = validate_answers(ANSWERS)
    after = {**before, "smoking": "former", "sleep_hours": 7.5, "physical_activity": "vigorous"}
    screenings = []
    for days_ago, answers, version in ((30, before, "v2026.11.26"), (1, after, None)):
        prediction = predict("ensemble", answers)
        screening = Screening.objects.create(
            owner=user, model_key="ensemble", answers=answers, status="done", cost=7,
            probability=prediction.probability if version is None else 0.16, risk_band=prediction.risk_band,
            base_rate=prediction.base_rate, factors=prediction.factors,
            model_version=version or prediction.model_version, finished_at=now - timedelta(days=days_ago),
        )  # fmt: skip
        Screening.objects.filter(id=screening.id).update(created_at=now - timedelta(days=days_ago))
        screenings.append(screening.id)
    return screenings[-1]


def checked(page, name: str, *, element: str | None = None) -> None:
    """axe-core finds no serious or critical violation at either width; then a screenshot at each."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        results = axe.run(page)
        grave = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        assert grave == [], f"{name} at {label}:\n{results.generate_report()}"
        path = SCREENSHOTS / f"{name}-{label}.png"
        if element:
            page.locator(element).screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=True)
        _shrink(path)
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})


HEADINGS = {
    "en": ("How your questionnaires have changed", "What moved your estimate", "Reliable improvement"),
    "es": ("Cómo han cambiado sus cuestionarios", "Qué movió su estimación", "Mejora fiable"),
    "ru": ("Как менялись результаты ваших опросников", "Что изменило вашу оценку", "Надёжное улучшение"),
}


def test_labels_item_trends_and_the_breakdown_in_three_languages(live_server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    latest = in_thread(make_course)
    page = browser.new_page(viewport={"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
    url = live_server.url
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda u: "/login" not in u)

    for language, (history_title, movement_title, improvement) in HEADINGS.items():
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": url}])

        page.goto(url + "/history/")
        changes = page.locator("#symptom-changes")
        expect(changes.get_by_role("heading", name=history_title)).to_be_visible()
        expect(changes).to_contain_text(improvement)
        expect(changes).to_contain_text("NHS Talking Therapies")
        # Two PHQ-9s with item 9 above 0, each marked in the item table.
        assert changes.locator(".item-trend tr.flagged").count() == 2
        assert changes.locator(".item-trend .flagged-cell").count() == 2
        # The latest PHQ-9 rose by 6: a reliable deterioration, which points to help.
        changes.scroll_into_view_if_needed()
        checked(page, f"change-{language}-history")

        page.goto(url + f"/checks/{latest}/")
        movement = page.locator("#movement")
        expect(movement.get_by_role("heading", name=movement_title)).to_be_visible()
        assert movement.locator("tr.movement-answer").count() == 3
        assert movement.locator("tr.movement-recalibration").count() == 1
        assert movement.locator("tr.movement-model").count() == 1
        checked(page, f"change-{language}-breakdown", element="#movement")

        page.goto(url + "/symptoms/")
        page.locator("table a").first.click()
        expect(page.locator("#change")).to_be_visible()
        expect(page.locator(".change-help")).to_be_visible()  # 8 -> 14: a reliable deterioration

        page.goto(url + "/summary/")
        summary = page.locator(".summary-page")
        expect(summary.locator(".item-trend")).to_be_visible()
        expect(summary).to_contain_text("NCQA")
        page.emulate_media(media="print")
        for paper in ("A4", "Letter"):
            pdf = page.pdf(format=paper, print_background=False)
            if paper == "A4":  # kept (before the count is asserted) to see what overflowed
                (SCREENSHOTS / f"change-{language}-clinician-summary.pdf").write_bytes(pdf)
            assert pdf_page_count(pdf) == 1, (language, paper)
        page.emulate_media(media="screen")
