"""Small holes closed: revoked refresh tokens, rate-limited forms, inputs that used to give 500, consent at sign-up."""

import json

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from core.throttling import AuthRateThrottle
from tests.factories import enrol_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})


def refresh_token(api_client, user, password) -> str:
    return api_client.post(reverse("api-token"), {"email": user.email, "password": password}).json()["refresh"]


def test_a_web_password_change_revokes_every_refresh_token(api_client, client, member, password):
    refresh = refresh_token(api_client, member, password)
    client.force_login(member)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "fresh-meadow-lantern-3",
            "new_password2": "fresh-meadow-lantern-3",
        },
    )

    assert response.status_code == 302
    assert api_client.post(reverse("api-token-refresh"), {"refresh": refresh}).status_code == 401


def test_a_password_reset_revokes_every_refresh_token(api_client, client, member, password):
    refresh = refresh_token(api_client, member, password)
    client.post(reverse("accounts:password_reset"), {"email": member.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line).strip()
    form_url = client.get(link).url  # Django swaps the token for a session and redirects

    client.post(form_url, {"new_password1": "fresh-meadow-lantern-3", "new_password2": "fresh-meadow-lantern-3"})

    assert User.objects.get(pk=member.pk).check_password("fresh-meadow-lantern-3")
    assert api_client.post(reverse("api-token-refresh"), {"refresh": refresh}).status_code == 401


def test_the_admin_login_is_rate_limited(client, django_user_model, password, three_per_minute):
    staff = django_user_model.objects.create_superuser(email="boss@example.com", password=password)
    device = enrol_second_factor(staff, token="right-code")
    url = reverse("admin:login")
    wrong = {"username": staff.email, "password": "wrong", "otp_device": device.persistent_id, "otp_token": "x"}

    statuses = [client.post(url, wrong).status_code for _ in range(3)]
    right = client.post(url, {**wrong, "password": password, "otp_token": "right-code"})

    assert statuses == [200, 200, 200]
    assert right.status_code == 429
    assert right["Retry-After"]
    assert client.get(reverse("admin:index")).status_code == 302  # the right password did not get in


def test_sign_up_password_reset_and_deletion_forms_are_rate_limited(client, member, password, three_per_minute):
    signup = [client.post(reverse("accounts:signup"), {"email": "x@example.com"}).status_code for _ in range(4)]
    cache.clear()
    reset = [client.post(reverse("accounts:password_reset"), {"email": member.email}).status_code for _ in range(4)]
    cache.clear()
    client.force_login(member)
    delete = [
        client.post(reverse("privacy:delete"), {"password": "wrong", "confirm": "on"}).status_code for _ in range(4)
    ]

    assert signup == [200, 200, 200, 429]
    assert reset == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    assert delete == [400, 400, 400, 429]
    assert User.objects.filter(pk=member.pk).exists()


def test_sign_up_asks_for_an_explicit_18_plus_confirmation_and_privacy_consent(client):
    page = client.get(reverse("accounts:signup")).content.decode()
    response = client.post(
        reverse("accounts:signup"),
        {"email": "young@example.com", "password1": "quiet-river-stone-7", "password2": "quiet-river-stone-7"},
    )

    html = response.content.decode()
    assert "I am 18 or older." in page
    assert "childhelplineinternational.org" in page  # a pointer for younger people
    assert 'href="/privacy/"' in page
    assert "Tick the box to confirm you are 18 or older." in html
    assert "Tick the box to agree to the privacy notice" in html
    assert not User.objects.filter(email="young@example.com").exists()


def test_api_registration_needs_the_same_confirmations(api_client):
    response = api_client.post(
        reverse("api-register"),
        {"email": "young@example.com", "password": "quiet-river-stone-7", "confirm_adult": False},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"confirm_adult", "accept_privacy"}


def test_a_password_like_the_email_is_refused(api_client):
    response = api_client.post(
        reverse("api-register"),
        {"email": "ana.lopez@example.com", "password": "ana.lopez@example", "confirm_adult": True,
         "accept_privacy": True},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert "too similar" in json.dumps(response.json()["extra"]["fields"]["password"])


def test_the_privacy_notice_page_says_who_sees_what(client):
    html = client.get(reverse("privacy")).content.decode()

    assert "only with a permission" in html
    assert "listed on your account page" in html
    assert "18 or older" in html


class TestInputsThatUsedToAnswer500:
    def test_a_body_over_the_limit_is_413(self, member_api, settings):
        body = json.dumps({"model": "logistic", "answers": {"age": 30, "sex": "male", "pad": "x" * 2_700_000}})

        response = member_api.post(reverse("api-screening-list"), body, content_type="application/json")

        assert response.status_code == 413
        assert "too large" in response.json()["message"]

    def test_json_nested_a_thousand_levels_is_400(self, member_api):
        body = '{"model": "logistic", "answers": ' + "[" * 5000 + "]" * 5000 + "}"

        response = member_api.post(reverse("api-screening-list"), body, content_type="application/json")

        assert response.status_code == 400
        assert "nested too deeply" in response.json()["message"]

    def test_a_number_of_hundreds_of_digits_is_a_field_error(self, member_api):
        body = '{"model": "logistic", "answers": {"age": 30, "sex": "male", "sleep_hours": ' + "9" * 400 + "}}"

        response = member_api.post(reverse("api-screening-list"), body, content_type="application/json")

        assert response.status_code == 400
        assert response.json()["extra"]["fields"]["sleep_hours"] == ["Enter a value from 0 to 24 hours."]

    def test_an_unknown_key_with_a_lone_surrogate_is_a_json_400(self, member_api):
        body = '{"model": "logistic", "answers": {"age": 30, "sex": "male", "\\ud800": 1}}'

        response = member_api.post(reverse("api-screening-list"), body, content_type="application/json")

        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")
        assert "\\ud800" in response.content.decode()
