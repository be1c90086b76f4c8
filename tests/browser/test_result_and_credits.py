"""In a real browser: the 0-credit banner, the unit switch, "N in 100" icon arrays and the what-if panel, each
checked with axe-core at desktop and phone widths and saved as screenshots (21-24)."""

import pytest

from billing.services import wallet_adjust, wallet_grant
from screening.models import Screening
from tests.browser.conftest import SCREENSHOTS, WIDTHS, _shrink
from tests.browser.support import in_thread
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_and_shoot(page, name: str, *, element: str | None = None) -> None:
    """axe-core finds no violation at either width; then a screenshot at each."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        results = axe.run(page)
        assert results.violations_count == 0, f"{name} at {label}:\n{results.generate_report()}"
        path = SCREENSHOTS / f"{name}-{label}.png"
        if element:
            page.locator(element).screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=True)
        _shrink(path)
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})


def make_person_at_zero():
    person = UserFactory(email="sam@example.com")
    staff = UserFactory(email="staff-b@example.com", is_staff=True)
    wallet_adjust(user=person, amount=-10, author=staff, reason="browser persona without credits")
    return person


def test_a_person_at_zero_credits_then_a_check_in_us_units_with_counts_and_what_ifs(live_server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    person = in_thread(make_person_at_zero)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    url = live_server.url
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # At 0 credits the questionnaire opens with the banner: when the allowance comes, and what stays free.
    page.goto(url + "/check/")
    banner = page.locator("#no-credits")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("You have 0 credits left")
    expect(banner).to_contain_text("free credits arrive")
    expect(banner.get_by_role("link", name="help and support services")).to_be_visible()
    assert page.locator("#no-credits").bounding_box()["y"] < page.locator("fieldset.section").first.bounding_box()["y"]
    check_and_shoot(page, "21-no-credits-banner")

    # With credits again: US units first; switching shows only the chosen unit's boxes.
    in_thread(lambda: wallet_grant(user=person, amount=10, description="Monthly credits"))
    page.goto(url + "/check/")
    expect(page.locator("#no-credits")).to_have_count(0)
    expect(page.locator('input[name="height_cm__unit"][value="ft_in"]')).to_be_checked()
    expect(page.get_by_label("How tall are you? (ft)")).to_be_visible()
    expect(page.locator("#id_height_cm")).to_be_hidden()
    page.check('input[name="height_cm__unit"][value="cm"]')
    expect(page.locator("#id_height_cm")).to_be_visible()
    expect(page.get_by_label("How tall are you? (ft)")).to_be_hidden()
    page.check('input[name="height_cm__unit"][value="ft_in"]')
    page.get_by_label("How tall are you? (ft)").fill("5")
    page.get_by_label("How tall are you? (in)").fill("4")
    page.get_by_label("How much do you weigh? (lb)").fill("200")
    check_and_shoot(page, "22-unit-switch", element="#q-height_cm")

    page.get_by_label("How old are you?").fill("41")
    page.check('input[name="sex"][value="female"]')
    page.get_by_label("What is your household's total income").fill("$45k")
    page.check('input[name="smoking"][value="current"]')
    page.check('input[name="physical_activity"][value="none"]')
    page.get_by_label("How many hours do you usually sleep").fill("5")
    page.check('input[name="model"][value="logistic"]')
    page.get_by_role("button", name="See my estimate").click()

    # The result: counts in 100 as icon arrays beside the base rate, and what was different for other habits.
    expect(page.get_by_role("heading", name="Your estimate", exact=True)).to_be_visible()
    screening = in_thread(lambda: Screening.objects.get(owner=person))
    # Stored to 4 decimals, so 5 ft 4 in and 200 lb read back as typed (docs/questionnaire.md).
    assert (screening.answers["height_cm"], screening.answers["weight_kg"]) == (162.56, 90.7185)
    assert screening.answers["annual_household_income"] == 45000
    expect(page.locator("figure.icon-array")).to_have_count(2)
    expect(page.get_by_role("img", name="People with answers like yours")).to_be_visible()
    low, high = round(100 * screening.interval_low), round(100 * screening.interval_high)
    expect(page.locator(".in-100")).to_contain_text(f"and {high} in 100")
    assert low < round(100 * screening.probability) < high or low == high
    expect(page.locator(".what-ifs")).to_contain_text("who have stopped smoking")
    expect(page.locator(".what-ifs")).to_contain_text("This is an association, not a promise.")
    check_and_shoot(page, "23-result-in-100")
    check_and_shoot(page, "24-what-if-panel", element=".what-ifs")

    # The units are remembered for the next check.
    page.goto(url + "/check/")
    expect(page.locator('input[name="weight_kg__unit"][value="lb"]')).to_be_checked()
    page.close()
