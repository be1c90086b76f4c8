"""The admin needs a password and a one-time code (django-otp); a password alone is refused."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from tests.factories import enrol_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(django_user_model, password):
    user = django_user_model.objects.create_superuser(email="operator@example.com", password=password)
    enrol_second_factor(user, token="first-code")
    return user


def _admin_login(client, user, password, otp_token=""):
    device = user.staticdevice_set.first()
    return client.post(
        reverse("admin:login") + "?next=/admin/",
        {
            "username": user.email,
            "password": password,
            "otp_device": device.persistent_id if device else "",
            "otp_token": otp_token,
        },
    )


def test_admin_login_without_the_second_factor_is_refused(client, operator, password):
    response = _admin_login(client, operator, password)

    assert response.status_code == 200  # the form again, with an error
    assert client.get(reverse("admin:index")).status_code == 302


def test_admin_login_with_a_wrong_code_is_refused(client, operator, password):
    _admin_login(client, operator, password, otp_token="not-the-code")

    assert client.get(reverse("admin:index")).status_code == 302


def test_admin_login_with_password_and_code_opens_the_admin_and_the_code_is_used_once(client, operator, password):
    response = _admin_login(client, operator, password, otp_token="first-code")

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    client.post(reverse("admin:logout"))
    _admin_login(client, operator, password, otp_token="first-code")
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_site_login_does_not_open_the_admin(client, operator, password):
    client.post(reverse("accounts:login"), {"username": operator.email, "password": password})

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_staff_without_any_device_cannot_sign_in_to_the_admin(client, django_user_model, password):
    user = django_user_model.objects.create_superuser(email="new-staff@example.com", password=password)

    _admin_login(client, user, password, otp_token="123456")

    assert client.get(reverse("admin:index")).status_code == 302


def test_the_documented_enrolment_of_a_first_device_works(client, django_user_model, password):
    # docs/operations.md: createsuperuser, addstatictoken, sign in with that code, add an authenticator app.
    user = django_user_model.objects.create_superuser(email="first@example.com", password=password)
    out = io.StringIO()
    call_command("addstatictoken", user.email, stdout=out)
    code = out.getvalue().strip()

    assert _admin_login(client, user, password, otp_token=code).status_code == 302
    response = client.post(
        reverse("admin:otp_totp_totpdevice_add"),
        {"user": user.pk, "name": "phone", "confirmed": "on", "key": default_key(), "step": 30, "t0": 0, "digits": 6,
         "tolerance": 1, "drift": 0, "throttling_failure_count": 0},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    device = TOTPDevice.objects.get(user=user)
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 200
    assert client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk]))["Content-Type"].startswith(
        "image/svg"
    )

    client.post(reverse("admin:logout"))
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": user.email, "password": password, "otp_device": device.persistent_id, "otp_token": token},
    )
    assert client.get(reverse("admin:index")).status_code == 200
