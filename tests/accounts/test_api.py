import pytest
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User

pytestmark = pytest.mark.django_db

REGISTER = reverse("api-register")
TOKEN = reverse("api-token")
REFRESH = reverse("api-token-refresh")
LOGOUT = reverse("api-logout")
ME = reverse("api-me")


def register(client, email="ana@example.com", password="correct-horse-battery-9"):
    return client.post(
        REGISTER,
        {"email": email, "password": password, "display_name": "Ana", "confirm_adult": True, "accept_privacy": True},
        format="json",
    )


def test_a_new_person_registers_and_gets_the_welcome_credits(api_client, settings):
    response = register(api_client)

    assert response.status_code == 202
    assert response.json()["message"].startswith("If this address can be used, the account is ready")
    assert User.objects.get().display_name == "Ana"
    tokens = api_client.post(TOKEN, {"email": "ana@example.com", "password": "correct-horse-battery-9"}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api_client.get(ME).json()
    assert me["email"] == "ana@example.com"
    assert me["balance"] == {"available": settings.WELCOME_CREDITS, "held": 0}
    assert settings.WELCOME_CREDITS == 10


def test_the_same_email_in_another_case_gets_the_same_answer_and_no_second_account(api_client):
    first = register(api_client)

    again = register(api_client, email="ANA@Example.COM", password="another-pass-phrase-31")

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert User.objects.count() == 1  # more in tests/accounts/test_sign_up_taken_address.py


def test_a_weak_password_and_a_bad_email_get_field_errors(api_client):
    response = api_client.post(REGISTER, {"email": "not-an-email", "password": "123"}, format="json")

    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert set(fields) == {"email", "password", "confirm_adult", "accept_privacy"}
    assert any("too short" in message for message in fields["password"])


def test_login_is_by_email_in_any_case(api_client, member, password):
    response = api_client.post(TOKEN, {"email": "MEMBER@example.com", "password": password})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_a_wrong_password_is_refused_with_the_error_shape(api_client, member):
    response = api_client.post(TOKEN, {"email": member.email, "password": "wrong-password"})

    assert response.status_code == 401
    assert response.json() == {
        "message": "No active account found with the given credentials",
        "extra": {"code": "no_active_account"},
    }


def test_without_a_token_me_is_refused(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["message"] == "Authentication credentials were not provided."


def test_refresh_rotates_and_the_old_refresh_token_is_refused(api_client, member, password):
    first = api_client.post(TOKEN, {"email": member.email, "password": password}).json()

    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]})
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]

    reused = api_client.post(REFRESH, {"refresh": first["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["message"]


def test_after_logout_the_refresh_token_is_refused(api_client, member, password):
    tokens = api_client.post(TOKEN, {"email": member.email, "password": password}).json()

    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 205

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert response.status_code == 401
    assert "blacklisted" in response.json()["message"]


def test_logout_with_a_garbage_token_is_refused(api_client):
    response = api_client.post(LOGOUT, {"refresh": "not-a-token"})

    assert response.status_code == 401
    assert set(response.json()) == {"message", "extra"}


def test_token_requests_are_throttled(api_client, member, monkeypatch):
    # The rate is read when DRF loads; patch the class so the test needs only four requests.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})

    statuses = [api_client.post(TOKEN, {"email": member.email, "password": "x"}).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    assert (
        api_client.post(TOKEN, {"email": member.email, "password": "x"})
        .json()["message"]
        .startswith("Request was throttled")
    )


def test_the_openapi_schema_and_docs_are_served(api_client):
    schema = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/auth/register/" in paths
    assert "/api/v1/billing/ledger/" in paths
    assert api_client.get(reverse("api-docs")).status_code == 200


def test_changing_the_password_locks_out_tokens_issued_before(api_client, member, password):
    tokens = api_client.post(TOKEN, {"email": member.email, "password": password}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get(ME).status_code == 200

    member.set_password("a-brand-new-pass-phrase-8")
    member.save()

    assert api_client.get(ME).status_code == 401


def test_a_forged_forwarded_for_header_does_not_reset_the_rate_limit(api_client, member, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})

    statuses = [
        api_client.post(TOKEN, {"email": member.email, "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [401, 401, 429]


def test_registration_refuses_a_password_too_similar_to_the_email(api_client):
    response = api_client.post(
        REGISTER, {"email": "rosalind.franklin@example.com", "password": "rosalindfranklin"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["password"] == ["The password is too similar to the email address."]
    assert not User.objects.exists()


def test_the_service_itself_refuses_a_password_the_validators_refuse(db):
    from django.core.exceptions import ValidationError

    from accounts.services import user_register

    with pytest.raises(ValidationError) as error:
        user_register(email="Rosalind.Franklin@Example.com", password="rosalindfranklin")

    assert error.value.message_dict == {"password": ["The password is too similar to the email address."]}
    assert not User.objects.exists()


def test_every_way_in_stores_the_same_normal_form_of_the_email(db):
    from accounts.selectors import user_email_taken

    user = User.objects.create_user(email="  Ada@EXAMPLE.com ", password="a-long-test-passphrase-42")

    assert user.email == "ada@example.com"
    assert user_email_taken(email="ADA@example.COM  ")
