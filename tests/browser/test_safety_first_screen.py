"""The safety path on a phone's first screen, measured in Chromium at 390 x 844 px, in English, Spanish and
Russian, with and without JavaScript: after a PHQ-9 with item 9 above 0, the first tappable crisis line (a tel:
link) and the emergency number are within the first 844 px of the page and at least 44 px tall, on the symptom
result and on every page that follows while that answer is the latest (a risk result, the history, the summary).

The visitor's country comes from the browser's language (en-US, es-MX, ru-RU): the person gave none."""

import pytest
from django.utils import timezone

from accounts.models import User
from tests.browser.conftest import SCREENSHOTS, _shrink
from tests.browser.support import in_thread
from tests.factories import PASSWORD, ScreeningFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 390, 844
MIN_TARGET = 44
LOCALES = {"en": "en-US", "es": "es-MX", "ru": "ru-RU"}
EXPECTED = {"en": ("tel:988", "tel:911"), "es": ("tel:8009112000", "tel:911"), "ru": ("tel:+74959895050", "tel:112")}
# Items 1-8 (total 10 with item 9 = 2).
ANSWERS = {"phq9_1": 2, "phq9_2": 1, "phq9_3": 1, "phq9_4": 1, "phq9_5": 1, "phq9_6": 1, "phq9_7": 1, "phq9_8": 0}


def _people():
    for language in LOCALES:
        for script in ("js", "nojs"):
            user = UserFactory(email=f"{language}-{script}@example.com", language=language, country="")
            ScreeningFactory(
                owner=user, model_key="ensemble", cost=7, status="done", probability=0.06, risk_band="low",
                base_rate=0.131, model_version="v-test", finished_at=timezone.now(),
            )  # fmt: skip


def _box(page, selector: str) -> dict:
    """The element's box in page coordinates (whatever the page scrolled to on load)."""
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, height: r.height}; }"
    )


def _assert_first_screen(page, language: str, where: str) -> None:
    line, emergency = EXPECTED[language]
    first_tel = page.locator('a[href^="tel:"]').first
    assert first_tel.get_attribute("href") == line, (language, where)
    for selector in ('a[href^="tel:"]', f'.crisis-emergency[href="{emergency}"]'):
        box = _box(page, selector)
        assert box["bottom"] <= HEIGHT, (language, where, selector, box)
        assert box["height"] >= MIN_TARGET, (language, where, selector, box)


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    path = SCREENSHOTS / f"safety-first-{name}.png"
    page.screenshot(path=str(path))  # the first screen only: what a phone shows before any scrolling
    _shrink(path)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_crisis_line_and_the_emergency_number_are_on_a_phones_first_screen(live_server, browser, javascript):
    in_thread(_people)
    script = "js" if javascript else "nojs"
    for language, locale in LOCALES.items():
        context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, locale=locale, java_script_enabled=javascript
        )
        page = context.new_page()
        url = live_server.url
        page.goto(url + "/accounts/login/")
        page.locator('input[name="username"]').fill(f"{language}-{script}@example.com")
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('main form button[type="submit"]').click()
        page.wait_for_load_state()

        page.goto(url + "/symptoms/phq9/")
        for key, value in {**ANSWERS, "phq9_9": 2}.items():
            page.locator(f'input[name="{key}"][value="{value}"]').check()
        page.locator("form.symptom-form button[type=submit]").click()
        page.wait_for_url("**/symptoms/checks/**")
        assert page.locator("#safety").is_visible()
        _assert_first_screen(page, language, "symptom result")
        _shoot(page, f"{language}-{script}-1-symptom-result")

        screening_id = in_thread(
            lambda language=language: str(
                User.objects.get(email=f"{language}-{script}@example.com").screenings.get().id
            )
        )
        page.goto(f"{url}/checks/{screening_id}/")
        _assert_first_screen(page, language, "risk result")
        _shoot(page, f"{language}-{script}-2-risk-result")

        for where, path in (("history", "/history/"), ("summary", "/summary/")):
            page.goto(url + path)
            _assert_first_screen(page, language, where)
        context.close()
