"""Staff see answers and results only with their own permission, and every such read is shown to the person."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from screening.models import Screening
from tests.factories import ScreeningFactory, enrol_second_factor

pytestmark = pytest.mark.django_db

# Values that appear nowhere on an admin page unless a screening's answers or result are shown.
PROBABILITY = 0.734519
ANSWER_KEY = "sleep_trouble_told_doctor"
FACTOR_KEY = "weight_kg_factor_marker"
HEALTH_MARKERS = ("0.7345", ANSWER_KEY, FACTOR_KEY, "base rate", "answers", "factors")


def _staff_with(django_user_model, password, email, codenames):
    user = django_user_model.objects.create_user(email=email, password=password, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    enrol_second_factor(user)
    return user


@pytest.fixture
def clerk(django_user_model, password):
    """Staff who handle accounts and failed checks: status, models and credits, no health data."""
    return _staff_with(
        django_user_model, password, "clerk@example.com", ["view_user", "view_screening", "view_ledgerentry"]
    )


@pytest.fixture
def clinician(django_user_model, password):
    """Staff given the right to read answers and results."""
    return _staff_with(django_user_model, password, "clinician@example.com", ["view_screening", "view_health_data"])


@pytest.fixture
def done_screening(member):
    return ScreeningFactory(
        owner=member,
        status=Screening.Status.DONE,
        answers={"age": 40, "sex": "female", ANSWER_KEY: "yes"},
        probability=PROBABILITY,
        risk_band="high",
        base_rate=0.0871,
        factors=[{"feature": FACTOR_KEY, "contribution": 0.4}],
        model_version="v-test",
        finished_at=timezone.now(),
    )


def _assert_no_health_data(html: str) -> None:
    for marker in HEALTH_MARKERS:
        assert marker not in html, marker


def test_staff_without_the_permission_see_status_and_money_but_no_answer_or_result(client, clerk, done_screening):
    client.force_login(clerk)
    changelist = reverse("admin:screening_screening_changelist")
    pages = [
        client.get(changelist),
        client.get(changelist, {"q": "member@"}),
        client.get(changelist, {"q": str(done_screening.pk)}),
        client.get(changelist, {"status__exact": "done", "model_key__exact": "logistic"}),
        client.get(reverse("admin:screening_screening_change", args=[done_screening.pk])),
        client.get(reverse("admin:screening_screening_history", args=[done_screening.pk])),
        client.get(reverse("admin:accounts_user_change", args=[done_screening.owner_id])),
        client.get(reverse("admin:accounts_user_changelist"), {"q": "member"}),
    ]

    assert [page.status_code for page in pages] == [200] * len(pages)
    for page in pages:
        _assert_no_health_data(page.content.decode())
    detail = pages[4].content.decode()
    assert "Done" in detail
    assert str(done_screening.cost) in detail
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


@pytest.mark.parametrize(
    "query", [{"risk_band": "high"}, {"risk_band__exact": "high"}, {"probability__gte": "0.5"}, {"answers__age": "40"}]
)
def test_nobody_can_filter_the_list_by_an_answer_or_result(client, clerk, staff, done_screening, query):
    # A list filtered by band or answer would say whose band or answer is what, one row at a time.
    for user in (clerk, staff):
        client.force_login(user)

        response = client.get(reverse("admin:screening_screening_changelist"), query)

        assert response.status_code == 400
        assert str(done_screening.pk) not in response.content.decode()


def test_the_admin_offers_no_export_of_screenings(client, clerk, staff, done_screening):
    for user in (clerk, staff):
        client.force_login(user)
        page = client.get(reverse("admin:screening_screening_changelist")).content.decode()
        own_export = client.get(reverse("privacy:export")).content.decode()

        assert "export" not in page.lower()
        # The account export is the staff member's own data, never anyone else's.
        assert str(done_screening.pk) not in own_export
        _assert_no_health_data(own_export.replace('"answers"', "").replace('"factors"', ""))


def test_a_permitted_read_is_recorded_and_shown_to_the_person(client, clinician, done_screening, member, outsider):
    client.force_login(clinician)

    listing = client.get(reverse("admin:screening_screening_changelist")).content.decode()
    detail = client.get(reverse("admin:screening_screening_change", args=[done_screening.pk])).content.decode()

    _assert_no_health_data(listing)
    assert "0.7345" in detail
    assert ANSWER_KEY in detail
    assert FACTOR_KEY in detail
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.actor == clinician
    assert entry.object_pk == str(done_screening.pk)
    assert entry.additional_data["owner_id"] == member.pk
    # The audit row names ids and a kind of record, never an answer or a result.
    assert ANSWER_KEY not in str(entry.additional_data) + entry.object_repr + str(entry.changes)
    assert "0.7345" not in str(entry.additional_data) + entry.object_repr + str(entry.changes)

    client.force_login(member)
    own_page = client.get(reverse("privacy:settings")).content.decode()
    client.force_login(outsider)
    other_page = client.get(reverse("privacy:settings")).content.decode()

    check_day = done_screening.created_at.strftime("%-d %B %Y")
    assert f"staff viewed the answers and result of your check of {check_day}" in own_page
    assert "Staff have not opened any of your checks." in other_page


def test_every_read_is_recorded_even_by_a_superuser(client, staff, done_screening, member):
    client.force_login(staff)
    url = reverse("admin:screening_screening_change", args=[done_screening.pk])

    client.get(url)
    client.get(url)

    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__owner_id=member.pk).count() == 2
