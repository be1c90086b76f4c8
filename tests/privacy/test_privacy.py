import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from billing.models import LedgerEntry, Wallet
from billing.services import wallet_capture, wallet_hold
from core.models import AccountErasure
from privacy.services import user_delete
from screening.models import Screening
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db

EXPORT = reverse("api-me-export")
ME = reverse("api-me")
TOKEN = reverse("api-token")
REFRESH = reverse("api-token-refresh")


@pytest.fixture
def history(member, outsider, answers):
    """The member's finished and failed checks, charged through the wallet; the outsider has one too."""
    done = ScreeningFactory(
        owner=member,
        status="done",
        answers=answers,
        probability=0.27,
        risk_band="high",
        base_rate=0.087,
        factors=[
            {
                "key": "age",
                "text": "Being 34 years old raised your estimate.",
                "direction": "raises",
                "contribution": 0.1,
            }
        ],
        model_version="v-test",
        finished_at=timezone.now(),
        cost=5,
        model_key="xgboost",
    )
    wallet_hold(user=member, amount=done.cost, screening_id=done.id)
    wallet_capture(user=done.owner, screening_id=done.id, model_name="Logistic regression")
    failed = ScreeningFactory(owner=member, status="failed", error_message="We could not compute this estimate.")
    theirs = ScreeningFactory(owner=outsider, status="pending")
    return {"done": done, "failed": failed, "theirs": theirs}


@pytest.fixture
def answers():
    return {"age": 34, "sex": "female", "sleep_hours": 5.5, "conditions": ["asthma"]}


def tokens_for(user, password):
    return APIClient().post(TOKEN, {"email": user.email, "password": password}).json()


def test_the_export_holds_the_profile_every_screening_and_the_ledger(member_api, member, history, answers):
    response = member_api.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mental-health-checker-export-')
    data = json.loads(response.content)
    assert data["profile"]["email"] == member.email
    assert data["profile"]["display_name"] == member.display_name
    assert data["balance"] == {"available": 5, "held": 0}
    by_id = {s["id"]: s for s in data["screenings"]}
    assert set(by_id) == {str(history["done"].id), str(history["failed"].id)}
    done = by_id[str(history["done"].id)]
    assert done["answers"] == answers
    assert done["result"]["probability"] == 0.27
    assert done["result"]["risk_band"] == "high"
    assert done["result"]["factors"][0]["direction"] == "raises"
    assert done["result"]["model_version"] == "v-test"
    assert by_id[str(history["failed"].id)]["result"] is None
    assert [(e["kind"], e["amount"]) for e in data["ledger"]] == [("grant", 10), ("hold", -5), ("capture", -5)]
    assert data["ledger"][1]["screening_id"] == str(history["done"].id)


def test_the_web_export_downloads_the_same_json(client, member, history):
    client.force_login(member)

    response = client.get(reverse("privacy:export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment;" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["format"] == "mental-health-checker-export/1"
    assert len(data["screenings"]) == 2
    assert str(history["theirs"].id) not in response.content.decode()


def test_the_export_needs_a_login(api_client, client):
    assert api_client.get(EXPORT).status_code == 401
    assert client.get(reverse("privacy:export")).status_code == 302


def test_a_wrong_password_deletes_nothing_and_says_which_field(member_api, member, history):
    response = member_api.delete(ME, {"password": "not-it"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["extra"]["fields"]["password"] == ["That is not your current password. Nothing was deleted."]
    assert User.objects.filter(id=member.id).exists()
    assert Screening.objects.filter(owner=member).count() == 2


def test_a_missing_password_is_a_field_error(member_api):
    response = member_api.delete(ME, {}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["extra"]["fields"]


def test_deletion_erases_the_person_and_leaves_only_anonymous_totals(member, outsider, history, password):
    tokens = tokens_for(member, password)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api.delete(ME, {"password": password}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(email=member.email).exists()
    assert not Screening.objects.filter(id__in=[history["done"].id, history["failed"].id]).exists()
    assert not Wallet.objects.filter(user_id=member.id).exists()
    assert not LedgerEntry.objects.filter(screening_id=history["done"].id).exists()
    assert LedgerEntry.objects.filter(wallet__user=outsider).count() == 1
    assert Screening.objects.filter(id=history["theirs"].id).exists()
    erasure = AccountErasure.objects.get()
    assert (erasure.screenings, erasure.credits_granted, erasure.credits_spent, erasure.credits_forfeited) == (
        2,
        10,
        5,
        5,
    )
    assert {f.name for f in AccountErasure._meta.get_fields()} == {
        "id",
        "erased_on",
        "screenings",
        "credits_granted",
        "credits_spent",
        "credits_forfeited",
    }
    call_command("billing_audit")


def test_after_deletion_login_fails_and_old_tokens_are_refused(member, password):
    tokens = tokens_for(member, password)
    user_delete(user=member, password=password)

    assert APIClient().post(TOKEN, {"email": member.email, "password": password}).status_code == 401
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get(ME).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    outstanding = OutstandingToken.objects.get()
    assert outstanding.user is None
    assert hasattr(outstanding, "blacklistedtoken")


def test_deletion_removes_the_person_from_the_admin_history(member, staff, history, password):
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.log_actions(user_id=staff.id, queryset=[member], action_flag=CHANGE, change_message="credits")

    user_delete(user=member, password=password)

    entry = LogEntry.objects.get(content_type=user_type)
    assert entry.object_repr == "erased account"
    assert entry.object_id is None
    assert member.email not in entry.change_message


def test_the_settings_page_offers_export_and_a_password_protected_deletion(client, member):
    client.force_login(member)

    html = client.get(reverse("privacy:settings")).content.decode()

    assert reverse("privacy:export") in html
    assert 'action="/accounts/settings/delete/"' in html
    assert 'autocomplete="current-password"' in html
    assert member.email in html


def test_the_web_deletion_needs_the_password_and_the_confirmation(client, member, password):
    client.force_login(member)

    wrong = client.post(reverse("privacy:delete"), {"password": "nope", "confirm": "on"})
    unconfirmed = client.post(reverse("privacy:delete"), {"password": password})

    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.content.decode()
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm." in unconfirmed.content.decode()
    assert User.objects.filter(id=member.id).exists()


def test_the_web_deletion_logs_out_and_the_login_then_fails(client, member, password):
    client.force_login(member)

    response = client.post(reverse("privacy:delete"), {"password": password, "confirm": "on"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Your account and everything in it have been deleted." in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert not User.objects.filter(id=member.id).exists()
    assert client.login(username=member.email, password=password) is False
    login = client.post(reverse("accounts:login"), {"username": member.email, "password": password})
    assert "That email and password do not match an account." in login.content.decode()


def test_a_deletion_needs_a_post(client, member):
    client.force_login(member)

    assert client.get(reverse("privacy:delete")).status_code == 405


def test_logging_in_and_out_say_so(client, member, password):
    logged_in = client.post(reverse("accounts:login"), {"username": member.email, "password": password}, follow=True)
    logged_out = client.post(reverse("accounts:logout"), follow=True)

    assert "You are logged in." in logged_in.content.decode()
    assert "You are logged out." in logged_out.content.decode()


def test_password_guesses_at_deletion_are_throttled_like_logins(member_api, member, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})

    statuses = [member_api.delete(ME, {"password": "guess"}, format="json").status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 429]
    assert member_api.get(ME).status_code == 200  # reading the profile is not limited
    assert User.objects.filter(id=member.id).exists()
