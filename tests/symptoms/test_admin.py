"""Staff see that symptom checks exist and how many; answers and scores only with view_health_data, each read
recorded for the person."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.factories import enrol_second_factor

pytestmark = pytest.mark.django_db

HEALTH_MARKERS = ("phq9_1", "Moderately severe", "moderately_severe", "Safety flag")


def staff_with(django_user_model, password, email, codenames):
    user = django_user_model.objects.create_user(email=email, password=password, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="symptoms", codename__in=codenames))
    enrol_second_factor(user)
    return user


@pytest.fixture
def check(member):
    answers = {"phq9_1": 3, "phq9_2": 3, "phq9_3": 3, "phq9_4": 3, "phq9_5": 3, "phq9_6": 1}
    answers |= {"phq9_7": 0, "phq9_8": 0, "phq9_9": 2}
    return symptom_check_submit(user=member, instrument_key="phq9", answers=answers).check


def test_staff_see_that_checks_exist_and_how_many_but_no_scores_in_the_list(
    client, django_user_model, password, check, outsider
):
    symptom_check_submit(user=outsider, instrument_key="gad7", answers={f"gad7_{n}": 0 for n in range(1, 8)})
    clerk = staff_with(django_user_model, password, "clerk@example.com", ["view_symptomcheck"])
    client.force_login(clerk)

    listing = client.get(reverse("admin:symptoms_symptomcheck_changelist")).content.decode()
    assert "2 symptom checks" in listing
    assert "PHQ-9" in listing
    assert "GAD-7" in listing
    for marker in (*HEALTH_MARKERS, "16"):
        assert f">{marker}<" not in listing, marker
    for lookup in ({"band": "moderately_severe"}, {"total__gte": "10"}, {"answers__phq9_9": "2"}):
        # A hand-made filter on health data would say whose score is what: refused.
        assert client.get(reverse("admin:symptoms_symptomcheck_changelist"), lookup).status_code == 400, lookup


def test_a_checks_page_hides_answers_and_score_without_the_health_data_permission(
    client, django_user_model, password, check
):
    clerk = staff_with(django_user_model, password, "clerk@example.com", ["view_symptomcheck"])
    client.force_login(clerk)
    html = client.get(reverse("admin:symptoms_symptomcheck_change", args=[check.id])).content.decode()
    for marker in HEALTH_MARKERS:
        assert marker not in html, marker
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_with_the_permission_the_answers_show_and_the_read_is_recorded_for_the_owner(
    client, django_user_model, password, check, member
):
    clinician = staff_with(
        django_user_model, password, "clinician@example.com", ["view_symptomcheck", "view_health_data"]
    )
    client.force_login(clinician)
    html = client.get(reverse("admin:symptoms_symptomcheck_change", args=[check.id])).content.decode()
    assert "phq9_1" in html
    assert "Moderately severe" in html
    (entry,) = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    assert entry.object_pk == str(check.id)
    assert entry.additional_data["owner_id"] == member.id
    assert entry.additional_data["what"] == "PHQ-9 answers and score"


def test_nobody_can_add_change_or_delete_a_check_in_the_admin(client, staff, check):
    client.force_login(staff)
    assert client.get(reverse("admin:symptoms_symptomcheck_add")).status_code == 403
    deleted = client.post(reverse("admin:symptoms_symptomcheck_delete", args=[check.id]), {"post": "yes"})
    assert deleted.status_code == 403
    assert SymptomCheck.objects.filter(id=check.id).exists()
