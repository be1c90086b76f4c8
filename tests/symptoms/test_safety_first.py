"""The safety path's first screen: after a PHQ-9 with item 9 above 0, the crisis line and the emergency number come
first on the symptom result and on every page that follows while that answer is the latest (a risk result, the
history, the summary); a risk result says so kindly. The browser test measures the same at 390 x 844 px
(tests/browser/test_safety_first_screen.py)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from symptoms.instruments import PHQ9
from symptoms.services import symptom_check_submit
from tests.factories import ScreeningFactory
from tests.symptoms.conftest import answers_totalling

pytestmark = pytest.mark.django_db


def flagged(user, item9=1):
    return symptom_check_submit(
        user=user, instrument_key=PHQ9.key, answers=answers_totalling(PHQ9, 6, phq9_9=item9)
    ).check


def first_tel_and_safety_offsets(html):
    """Where the first tel: link, the emergency button and the score sit in the page's HTML."""
    main = html.split('<main id="main"', 1)[1]
    return main, main.find('href="tel:'), main.find("crisis-emergency")


def test_the_symptom_result_puts_the_crisis_line_and_the_emergency_number_before_anything_else(client, member):
    client.force_login(member)
    check = flagged(member)

    main, first_tel, emergency = first_tel_and_safety_offsets(
        client.get(reverse("symptoms:detail", args=[check.id]), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    )

    assert 0 <= first_tel < main.find('id="score"')
    assert 0 <= emergency < main.find('id="score"')
    assert main.find('href="tel:988"') == first_tel
    assert 'href="tel:911"' in main[: main.find('id="score"')]
    # The short sentence comes before the buttons; the longer text after them.
    assert main.find("You can talk to someone now") < first_tel < main.find("Many people have thoughts like these")


@pytest.mark.parametrize(
    ("header", "line", "emergency"),
    [
        ("es-MX", "tel:8009112000", "tel:911"),
        ("ru-RU", "tel:+74959895050", "tel:112"),
        ("en-GB", "tel:116123", "tel:999"),
    ],
)
def test_the_crisis_line_first_is_the_one_of_the_persons_country(client, member, header, line, emergency):
    client.force_login(member)
    check = flagged(member)

    main, first_tel, _ = first_tel_and_safety_offsets(
        client.get(reverse("symptoms:detail", args=[check.id]), HTTP_ACCEPT_LANGUAGE=header).content.decode()
    )

    assert main[first_tel:].startswith(f'href="{line}"')
    assert f'href="{emergency}"' in main[: main.find('id="score"')]


def test_a_risk_result_after_item_9_says_so_kindly_and_puts_help_first(client, member):
    client.force_login(member)
    flagged(member)
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.04, risk_band="low", base_rate=0.131, model_version="v-test",
        finished_at=timezone.now(),
    )  # fmt: skip

    main, first_tel, emergency = first_tel_and_safety_offsets(
        client.get(reverse("screening:detail", args=[screening.id])).content.decode()
    )

    assert "In your latest PHQ-9 you told us" in main
    assert 0 <= first_tel < main.find('id="result"')
    assert 0 <= emergency < main.find('id="result"')
    # The help list is shown once, first, not again at the bottom.
    assert main.count('id="help"') == 1


def test_a_risk_result_without_item_9_keeps_its_usual_order(client, member):
    client.force_login(member)
    symptom_check_submit(user=member, instrument_key=PHQ9.key, answers=answers_totalling(PHQ9, 6))
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.04, risk_band="low", base_rate=0.131, model_version="v-test",
        finished_at=timezone.now(),
    )  # fmt: skip

    main = client.get(reverse("screening:detail", args=[screening.id])).content.decode().split("<main", 1)[1]

    assert "In your latest PHQ-9 you told us" not in main
    assert "crisis-first" not in main
    assert main.find('id="result"') < main.find('id="help"')


@pytest.mark.parametrize("page", ["screening:history", "screening:summary"])
def test_history_and_summary_put_the_crisis_lines_first_while_item_9_is_the_latest_answer(client, member, page):
    client.force_login(member)
    flagged(member)

    main, first_tel, emergency = first_tel_and_safety_offsets(client.get(reverse(page)).content.decode())

    assert "crisis-first" in main
    assert 0 <= first_tel < main.find("</section>")
    assert 0 <= emergency < main.find("</section>")


def test_a_later_phq9_with_item_9_at_0_ends_the_safety_path_on_later_pages(client, member):
    client.force_login(member)
    flagged(member)
    symptom_check_submit(user=member, instrument_key=PHQ9.key, answers=answers_totalling(PHQ9, 6))

    html = client.get(reverse("screening:history")).content.decode()

    assert "crisis-first" not in html


def test_a_person_outside_the_us_is_told_the_comparison_is_with_people_in_the_us(client, member):
    member.country = "MX"
    member.save(update_fields=["country"])
    client.force_login(member)
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.04, risk_band="low", base_rate=0.131, model_version="v-test",
        finished_at=timezone.now(),
    )  # fmt: skip

    html = client.get(reverse("screening:detail", args=[screening.id])).content.decode()

    assert "people aged 12 and over in the US" in html
    assert "are of people living in the US" in html


def test_a_person_in_the_us_is_not_told_the_comparison_is_foreign(client, member):
    member.country = "US"
    member.save(update_fields=["country"])
    client.force_login(member)
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.04, risk_band="low", base_rate=0.131, model_version="v-test",
        finished_at=timezone.now(),
    )  # fmt: skip

    html = client.get(reverse("screening:detail", args=[screening.id])).content.decode()

    assert "are of people living in the US" not in html


def test_a_person_whose_browser_names_another_country_is_told_too(client, member):
    client.force_login(member)
    screening = ScreeningFactory(
        owner=member, status="done", probability=0.04, risk_band="low", base_rate=0.131, model_version="v-test",
        finished_at=timezone.now(),
    )  # fmt: skip

    html = client.get(reverse("screening:detail", args=[screening.id]), HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()

    assert "are of people living in the US" in html
