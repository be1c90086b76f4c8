"""In a real browser: the "less reliable for people like you" notice on a result, in English, Spanish and Russian,
checked with axe-core and saved as screenshots (less-reliable-<language>)."""

import json

import pytest
from django.utils import timezone

from predictor import registry
from tests.browser.conftest import SCREENSHOTS, _shrink
from tests.browser.support import in_thread
from tests.factories import PASSWORD, ScreeningFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VERSION = "vweaker"
HEADINGS = {
    "en": "Less reliable for people like you",
    "es": "Menos fiable para personas como usted",
    "ru": "Менее надёжно для таких людей, как вы",
}


@pytest.fixture
def weaker_version(settings, tmp_path):
    """A version whose card flags people below the poverty line as a weaker group of the ensemble."""
    (tmp_path / VERSION).mkdir()
    groups = {"ensemble": [{"label": "income: below poverty line", "roc_auc": 0.752, "overall": 0.831}]}
    manifest = {"version": VERSION, "current_period": {"less_reliable": {"rule": "r", "groups": groups}}}
    (tmp_path / VERSION / "manifest.json").write_text(json.dumps(manifest))
    settings.ML_ARTIFACTS_DIR = tmp_path
    settings.PREDICTOR_ACTIVE_VERSION = VERSION
    registry.clear_cache()
    yield
    registry.clear_cache()


@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_the_notice_reads_in_the_persons_language_beside_the_result(live_server, browser, weaker_version, language):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)

    def make():
        person = UserFactory(email=f"ana-{language}@example.com", language=language)
        answers = {"age": 30, "sex": "female", "annual_household_income": 9000, "household_size": 3}
        return person, ScreeningFactory(
            owner=person, status="done", model_key="ensemble", answers=answers, probability=0.2,
            risk_band="moderate", base_rate=0.131, model_version=VERSION, finished_at=timezone.now(),
            interval_low=0.12, interval_high=0.31,
        )  # fmt: skip

    person, screening = in_thread(make)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + f"/checks/{screening.id}/")

    notice = page.locator("#reliability")
    expect(notice).to_contain_text(HEADINGS[language])
    expect(notice.locator('a[href$="/models/#less-reliable"]')).to_be_visible()
    assert Axe().run(page).violations_count == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"less-reliable-{language}.png"
    notice.screenshot(path=str(path))
    _shrink(path)
